#include "gguf/tensor_types.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace capsfusion::gguf {
namespace {

float Bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(TensorTypesTest, LayoutConstants) {
  EXPECT_EQ(BlockSize(TensorType::kF32), 1);
  EXPECT_EQ(BlockSize(TensorType::kF16), 1);
  EXPECT_EQ(BlockSize(TensorType::kQ4_0), 32);
  EXPECT_EQ(BlockSize(TensorType::kQ8_0), 32);
  EXPECT_EQ(BlockBytes(TensorType::kF32), 4u);
  EXPECT_EQ(BlockBytes(TensorType::kF16), 2u);
  EXPECT_EQ(BlockBytes(TensorType::kQ4_0), 18u);
  EXPECT_EQ(BlockBytes(TensorType::kQ8_0), 34u);
  EXPECT_EQ(*RowBytes(TensorType::kQ4_0, 4096), 4096u / 32 * 18);
  EXPECT_EQ(*RowBytes(TensorType::kF16, 7), 14u);
  EXPECT_FALSE(RowBytes(TensorType::kQ8_0, 33).ok());
  EXPECT_FALSE(RowBytes(TensorType::kF32, -1).ok());
  EXPECT_FALSE(RowBytes(static_cast<TensorType>(12), 256).ok());
  EXPECT_STREQ(TensorTypeName(TensorType::kQ8_0), "Q8_0");
  EXPECT_STREQ(GgmlTypeName(12), "Q4_K");
  EXPECT_STREQ(GgmlTypeName(30), "BF16");
  EXPECT_EQ(GgmlTypeName(1000), nullptr);
  EXPECT_TRUE(IsSupportedTensorType(8));
  EXPECT_FALSE(IsSupportedTensorType(3));
}

TEST(Fp16Test, KnownValues) {
  EXPECT_EQ(Fp32ToFp16(0.0f), 0x0000);
  EXPECT_EQ(Fp32ToFp16(-0.0f), 0x8000);
  EXPECT_EQ(Fp32ToFp16(1.0f), 0x3C00);
  EXPECT_EQ(Fp32ToFp16(-2.0f), 0xC000);
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7BFF);               // largest half
  EXPECT_EQ(Fp32ToFp16(65519.99f), 0x7BFF);              // just below the rounding point
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7C00);               // ties to even: overflows to inf
  EXPECT_EQ(Fp32ToFp16(1e10f), 0x7C00);
  EXPECT_EQ(Fp32ToFp16(-1e10f), 0xFC00);
  EXPECT_EQ(Fp32ToFp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(Fp32ToFp16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // half of it: tie to even (0)
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1.5f, -25)), 0x0001);  // above the tie
  EXPECT_EQ(Fp32ToFp16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp: tie to even (2)
  EXPECT_EQ(Fp32ToFp16(std::ldexp(5.0f, -25)), 0x0002);  // 2.5 ulp: tie to even (2)
  EXPECT_EQ(Fp32ToFp16(-std::ldexp(1.0f, -26)), 0x8000);  // underflow keeps the sign
  EXPECT_EQ(Fp32ToFp16(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the normals
  EXPECT_EQ(Fp32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie, even below
  EXPECT_EQ(Fp32ToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie, even above
  EXPECT_EQ(Fp32ToFp16(Bits(0x00000001)), 0x0000);  // float subnormal
  const uint16_t nan = Fp32ToFp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
  EXPECT_NE(Fp32ToFp16(Bits(0x7F800001)) & 0x03FF, 0);  // signalling NaN with a low payload stays NaN

  EXPECT_EQ(Fp16ToFp32(0x3C00), 1.0f);
  EXPECT_EQ(Fp16ToFp32(0x7BFF), 65504.0f);
  EXPECT_EQ(Fp16ToFp32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToFp32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(Fp16ToFp32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::signbit(Fp16ToFp32(0x8000)));
  EXPECT_EQ(Fp16ToFp32(0x8000), 0.0f);
  EXPECT_EQ(Fp16ToFp32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Fp16ToFp32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(Fp16ToFp32(0x7E00)));
  EXPECT_TRUE(std::isnan(Fp16ToFp32(0xFC01)));
}

TEST(Fp16Test, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = Fp16ToFp32(static_cast<uint16_t>(h));
    const uint16_t back = Fp32ToFp16(f);
    if (std::isnan(f)) {
      EXPECT_EQ(back & 0x7C00, 0x7C00) << h;
      EXPECT_NE(back & 0x03FF, 0) << h;
      EXPECT_EQ(back & 0x8000, h & 0x8000) << h;
    } else {
      ASSERT_EQ(back, h) << h;
    }
  }
}

// Every float between two neighbouring halves rounds to the nearer one, ties to even.
TEST(Fp16Test, RoundsToNearestEven) {
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint16_t h = static_cast<uint16_t>(rng() % 0x7BFF);  // positive finite, below the largest
    const double lo = Fp16ToFp32(h);
    const double hi = Fp16ToFp32(static_cast<uint16_t>(h + 1));
    const double t = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    const float f = static_cast<float>(lo + (hi - lo) * t);
    const uint16_t got = Fp32ToFp16(f);
    const double mid = (lo + hi) / 2;
    uint16_t want;
    if (f < mid) want = h;
    else if (f > mid) want = static_cast<uint16_t>(h + 1);
    else want = (h % 2 == 0) ? h : static_cast<uint16_t>(h + 1);
    if (f == static_cast<float>(lo)) want = h;
    if (f == static_cast<float>(hi)) want = static_cast<uint16_t>(h + 1);
    ASSERT_EQ(got, want) << "f=" << f << " h=" << h;
    ASSERT_EQ(Fp32ToFp16(-f), want | 0x8000);
  }
}

#if defined(__FLT16_MAX__)
// Where the compiler has _Float16, its conversion (IEEE, round to nearest even) is an oracle.
TEST(Fp16Test, MatchesCompilerFloat16) {
  std::mt19937 rng(11);
  for (int i = 0; i < 1000000; ++i) {
    const float f = Bits(static_cast<uint32_t>(rng()));
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    ASSERT_EQ(Fp32ToFp16(f), bits) << f;
  }
}
#endif

std::vector<uint8_t> Quantize(TensorType t, const std::vector<float>& x) {
  std::vector<uint8_t> out(*RowBytes(t, static_cast<int64_t>(x.size())));
  QuantizeRow(t, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

TEST(QuantTest, Q8_0ExactBlock) {
  // amax = 127 so d = 1 exactly; q = round(x), halves away from zero (roundf).
  std::vector<float> x(32);
  x[0] = 127.0f;
  for (int j = 1; j < 32; ++j) x[j] = 1.5f * static_cast<float>(j - 16);
  const std::vector<uint8_t> got = Quantize(TensorType::kQ8_0, x);
  std::vector<uint8_t> want = {0x00, 0x3C, 127};  // d = 1.0 as f16, little-endian
  const int q[31] = {-23, -21, -20, -18, -17, -15, -14, -12, -11, -9, -8, -6, -5, -3, -2, 0,
                     2,   3,   5,   6,   8,   9,   11,  12,  14,  15, 17, 18, 20, 21, 23};
  for (int v : q) want.push_back(static_cast<uint8_t>(static_cast<int8_t>(v)));
  EXPECT_EQ(got, want);
  std::vector<float> y(32);
  DequantizeRow(TensorType::kQ8_0, got.data(), y.data(), 32);
  EXPECT_EQ(y[0], 127.0f);
  EXPECT_EQ(y[1], -23.0f);
  EXPECT_EQ(y[31], 23.0f);
}

TEST(QuantTest, Q4_0ExactBlock) {
  // max = -8 (largest magnitude, negative) so d = max / -8 = 1 and q = trunc(x + 8.5).
  std::vector<float> x(32);
  for (int j = 0; j < 16; ++j) x[j] = static_cast<float>(j - 8);
  for (int j = 0; j < 16; ++j) x[16 + j] = 0.5f * static_cast<float>(j) - 4.0f;
  const std::vector<uint8_t> got = Quantize(TensorType::kQ4_0, x);
  const uint8_t hi[16] = {4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12};
  std::vector<uint8_t> want = {0x00, 0x3C};
  for (int j = 0; j < 16; ++j) want.push_back(static_cast<uint8_t>(j | (hi[j] << 4)));
  EXPECT_EQ(got, want);
  std::vector<float> y(32);
  DequantizeRow(TensorType::kQ4_0, got.data(), y.data(), 32);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(y[j], x[j]) << j;
  EXPECT_EQ(y[16], -4.0f);
  EXPECT_EQ(y[17], -3.0f);  // -3.5 + 8.5 = 5 -> -3
}

TEST(QuantTest, Q4_0PositiveMaxClampsTheOtherEnd) {
  // max = +8 gives d = -1; x = -8 would need q = 16 and is capped at 15 (value -7).
  std::vector<float> x(32, 0.0f);
  x[0] = 8.0f;
  x[1] = -8.0f;
  x[2] = 3.0f;
  const std::vector<uint8_t> got = Quantize(TensorType::kQ4_0, x);
  EXPECT_EQ(got[0], 0x00);
  EXPECT_EQ(got[1], 0xBC);  // -1.0 as f16
  std::vector<float> y(32);
  DequantizeRow(TensorType::kQ4_0, got.data(), y.data(), 32);
  EXPECT_EQ(y[0], 8.0f);
  EXPECT_EQ(y[1], -7.0f);
  EXPECT_EQ(y[2], 3.0f);
  EXPECT_EQ(y[5], 0.0f);
}

TEST(QuantTest, ZeroBlocks) {
  std::vector<float> x(64, 0.0f), y(64, 1.0f);
  for (TensorType t : {TensorType::kQ4_0, TensorType::kQ8_0}) {
    const std::vector<uint8_t> q = Quantize(t, x);
    EXPECT_EQ(q[0], 0);
    // Q4_0: d = 0 / -8 is -0.0, as in ggml (f16 0x8000).
    EXPECT_EQ(q[1], t == TensorType::kQ4_0 ? 0x80 : 0x00);
    DequantizeRow(t, q.data(), y.data(), 64);
    for (float v : y) EXPECT_EQ(v, 0.0f);
  }
}

TEST(QuantTest, ErrorBounds) {
  std::mt19937 rng(3);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const int n = 32 * 256;
  std::vector<float> x(n), y(n);
  for (float& v : x) v = dist(rng) * 0.02f;
  for (int i = 0; i < n; i += 97) x[i] *= 40.0f;  // outliers, as real weights have
  for (TensorType t : {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kF16, TensorType::kF32}) {
    const std::vector<uint8_t> q = Quantize(t, x);
    DequantizeRow(t, q.data(), y.data(), n);
    for (int b = 0; b < n / 32; ++b) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[b * 32 + j]));
      // Q8_0: half a step (amax/127/2) plus the f16 rounding of d over 127 steps.
      // Q4_0: one step (amax/8) at worst, where the far end is capped at 15.
      float bound = 0;
      if (t == TensorType::kQ8_0) bound = amax / 127 * (0.5f + 127.0f / 2048) * 1.001f;
      if (t == TensorType::kQ4_0) bound = amax / 8 * (1.0f + 8.0f / 2048) * 1.001f;
      for (int j = 0; j < 32; ++j) {
        const float xv = x[b * 32 + j], yv = y[b * 32 + j];
        const float tol = t == TensorType::kF16 ? std::fabs(xv) / 2048 + 6e-8f : bound;
        ASSERT_LE(std::fabs(xv - yv), tol) << TensorTypeName(t) << " block " << b << " j " << j;
      }
    }
  }
}

TEST(QuantTest, NonFiniteInputDoesNotCrash) {
  std::vector<float> x(32, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[4] = std::numeric_limits<float>::infinity();
  std::vector<float> y(32);
  for (TensorType t : {TensorType::kQ8_0, TensorType::kQ4_0}) {
    const std::vector<uint8_t> q = Quantize(t, x);
    DequantizeRow(t, q.data(), y.data(), 32);
  }
}

}  // namespace
}  // namespace capsfusion::gguf
