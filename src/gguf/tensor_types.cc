#include "gguf/tensor_types.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace capsfusion::gguf {

namespace {

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

void StoreU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

//! Float -> int in [lo, hi] without undefined behaviour on NaN or out-of-range values.
int ClampToInt(float v, int lo, int hi) {
  if (!(v == v)) return 0;
  if (v <= static_cast<float>(lo)) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);  // truncates toward zero, like ggml's C casts
}

void QuantizeQ8_0(const float* x, uint8_t* out, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b) {
    const float* xb = x + b * kQK8_0;
    uint8_t* ob = out + b * sizeof(BlockQ8_0);
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::fmax(amax, std::fabs(xb[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreU16(ob, Fp32ToFp16(d));
    for (int j = 0; j < kQK8_0; ++j) {
      ob[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(ClampToInt(std::round(xb[j] * id), -128, 127)));
    }
  }
}

void DequantizeQ8_0(const uint8_t* in, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK8_0; ++b) {
    const uint8_t* ib = in + b * sizeof(BlockQ8_0);
    const float d = Fp16ToFp32(LoadU16(ib));
    for (int j = 0; j < kQK8_0; ++j) y[b * kQK8_0 + j] = static_cast<int8_t>(ib[2 + j]) * d;
  }
}

void QuantizeQ4_0(const float* x, uint8_t* out, int64_t n) {
  constexpr int kHalf = kQK4_0 / 2;
  for (int64_t b = 0; b < n / kQK4_0; ++b) {
    const float* xb = x + b * kQK4_0;
    uint8_t* ob = out + b * sizeof(BlockQ4_0);
    float amax = 0.0f;  // largest magnitude
    float max = 0.0f;   // the value that has it, sign kept (first one on ties)
    for (int j = 0; j < kQK4_0; ++j) {
      if (amax < std::fabs(xb[j])) {
        amax = std::fabs(xb[j]);
        max = xb[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    StoreU16(ob, Fp32ToFp16(d));
    for (int j = 0; j < kHalf; ++j) {
      // The int8 truncation of ggml, then the cap at 15; finite inputs never go below 0.
      const int q0 = std::min(15, ClampToInt(xb[j] * id + 8.5f, -128, 127));
      const int q1 = std::min(15, ClampToInt(xb[kHalf + j] * id + 8.5f, -128, 127));
      ob[2 + j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
    }
  }
}

void DequantizeQ4_0(const uint8_t* in, float* y, int64_t n) {
  constexpr int kHalf = kQK4_0 / 2;
  for (int64_t b = 0; b < n / kQK4_0; ++b) {
    const uint8_t* ib = in + b * sizeof(BlockQ4_0);
    const float d = Fp16ToFp32(LoadU16(ib));
    float* yb = y + b * kQK4_0;
    for (int j = 0; j < kHalf; ++j) {
      yb[j] = static_cast<float>((ib[2 + j] & 0x0F) - 8) * d;
      yb[kHalf + j] = static_cast<float>((ib[2 + j] >> 4) - 8) * d;
    }
  }
}

}  // namespace

const char* TensorTypeName(TensorType type) {
  switch (type) {
    case TensorType::kF32: return "F32";
    case TensorType::kF16: return "F16";
    case TensorType::kQ4_0: return "Q4_0";
    case TensorType::kQ8_0: return "Q8_0";
  }
  return "unknown";
}

const char* GgmlTypeName(uint32_t id) {
  // ggml's ids; gaps are ids ggml has retired (4, 5, 31-33, 36-38).
  static const char* const kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",   "Q4_2",   "Q4_3",   "Q5_0",   "Q5_1",   "Q8_0",
      "Q8_1",    "Q2_K",   "Q3_K",    "Q4_K",   "Q5_K",   "Q6_K",   "Q8_K",   "IQ2_XXS", "IQ2_XS",
      "IQ3_XXS", "IQ1_S",  "IQ4_NL",  "IQ3_S",  "IQ2_S",  "IQ4_XS", "I8",     "I16",    "I32",
      "I64",     "F64",    "IQ1_M",   "BF16",   "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0",
      "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  if (id >= sizeof(kNames) / sizeof(kNames[0])) return nullptr;
  return kNames[id];
}

bool IsSupportedTensorType(uint32_t id) {
  switch (static_cast<TensorType>(id)) {
    case TensorType::kF32:
    case TensorType::kF16:
    case TensorType::kQ4_0:
    case TensorType::kQ8_0: return true;
  }
  return false;
}

int64_t BlockSize(TensorType type) {
  switch (type) {
    case TensorType::kF32:
    case TensorType::kF16: return 1;
    case TensorType::kQ4_0: return kQK4_0;
    case TensorType::kQ8_0: return kQK8_0;
  }
  return 0;
}

size_t BlockBytes(TensorType type) {
  switch (type) {
    case TensorType::kF32: return 4;
    case TensorType::kF16: return 2;
    case TensorType::kQ4_0: return sizeof(BlockQ4_0);
    case TensorType::kQ8_0: return sizeof(BlockQ8_0);
  }
  return 0;
}

StatusOr<size_t> RowBytes(TensorType type, int64_t n) {
  const int64_t block = BlockSize(type);
  if (block == 0) {
    return Status::InvalidArgument("unsupported tensor type id " +
                                   std::to_string(static_cast<uint32_t>(type)));
  }
  if (n < 0) return Status::InvalidArgument("negative row length " + std::to_string(n));
  if (n % block != 0) {
    return Status::InvalidArgument(std::string("row length ") + std::to_string(n) + " is not a multiple of the " +
                                   TensorTypeName(type) + " block size " + std::to_string(block));
  }
  const uint64_t blocks = static_cast<uint64_t>(n / block);
  const uint64_t bytes = BlockBytes(type);
  if (blocks > std::numeric_limits<size_t>::max() / bytes) {
    return Status::InvalidArgument("row of " + std::to_string(n) + " elements overflows size_t");
  }
  return static_cast<size_t>(blocks * bytes);
}

float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24, exact in binary32.
    const float magnitude = static_cast<float>(mant) * 5.9604644775390625e-8f;
    return sign ? -magnitude : magnitude;
  }
  if (exp == 31) return BitsFloat(sign | 0x7F800000u | (mant << 13));  // inf or NaN (payload kept)
  return BitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t Fp32ToFp16(float f) {
  const uint32_t x = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFFu;
  if (abs > 0x7F800000u) {  // NaN: keep the top payload bits, force quiet so it stays a NaN
    return static_cast<uint16_t>(sign | 0x7E00 | ((abs >> 13) & 0x3FF));
  }
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00);  // >= 65520 rounds to inf
  const uint32_t e = abs >> 23;
  if (e < 113) {  // below the smallest normal half (2^-14): subnormal or zero
    if (e < 102) return sign;  // below 2^-25: rounds to zero
    const uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
    const uint32_t shift = 126 - e;  // value * 2^24 = m >> shift
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t h = ((e - 112) << 10) | ((abs >> 13) & 0x3FF);
  const uint32_t rem = abs & 0x1FFF;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // a carry may bump the exponent: still right
  return static_cast<uint16_t>(sign | h);
}

void QuantizeRow(TensorType type, const float* x, void* out, int64_t n) {
  if (n <= 0) return;
  uint8_t* o = static_cast<uint8_t*>(out);
  switch (type) {
    case TensorType::kF32:
      std::memcpy(o, x, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) StoreU16(o + 2 * i, Fp32ToFp16(x[i]));
      return;
    case TensorType::kQ4_0: QuantizeQ4_0(x, o, n); return;
    case TensorType::kQ8_0: QuantizeQ8_0(x, o, n); return;
  }
}

void DequantizeRow(TensorType type, const void* in, float* y, int64_t n) {
  if (n <= 0) return;
  const uint8_t* p = static_cast<const uint8_t*>(in);
  switch (type) {
    case TensorType::kF32:
      std::memcpy(y, p, static_cast<size_t>(n) * sizeof(float));
      return;
    case TensorType::kF16:
      for (int64_t i = 0; i < n; ++i) y[i] = Fp16ToFp32(LoadU16(p + 2 * i));
      return;
    case TensorType::kQ4_0: DequantizeQ4_0(p, y, n); return;
    case TensorType::kQ8_0: DequantizeQ8_0(p, y, n); return;
  }
}

}  // namespace capsfusion::gguf
