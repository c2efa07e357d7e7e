// Every kernel of every available path against the naive reference kernels.
//
// Tolerances (measured against the magnitude sum_c |w_c * x_c|, since a
// per-element relative error is meaningless for results near zero):
//   F32/F16 weights: 1e-5 vs the fp64 reference on the same (dequantized) weights.
//   Q8_0/Q4_0: 2e-6 vs ref::MatMulQuantizedActivations (same Q8_0 activations,
//   fp64 sums), and within the bound of the activation rounding
//   (sum_b amax_b / 254 * sum_{c in b} |w_c|) of the fp64 reference.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/kernel_table.h"
#include "engine/kernels.h"
#include "engine/packed_weights.h"
#include "gguf/tensor_types.h"

namespace capsfusion::engine {
namespace {

constexpr TensorType kTypes[] = {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0};

const char* TypeName(TensorType t) {
  switch (t) {
    case TensorType::kF32: return "F32";
    case TensorType::kF16: return "F16";
    case TensorType::kQ8_0: return "Q8_0";
    case TensorType::kQ4_0: return "Q4_0";
  }
  return "?";
}

bool IsQuantized(TensorType t) { return t == TensorType::kQ8_0 || t == TensorType::kQ4_0; }

std::vector<const KernelTable*> Paths() {
  std::vector<const KernelTable*> out;
  for (KernelPath p : {KernelPath::kGeneric, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (const KernelTable* k = KernelsFor(p)) out.push_back(k);
  }
  return out;
}

std::vector<float> RandomVector(int64_t n, uint32_t seed, float scale = 1.0f, float mean = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

//! A random weight matrix encoded as `type`, plus its dequantized values.
struct Weights {
  std::vector<uint8_t> bytes;
  std::vector<float> dequant;
  WeightView view;
};

Weights MakeWeights(TensorType type, int64_t rows, int64_t cols, uint32_t seed) {
  Weights w;
  const int64_t rb = WeightRowBytes(type, cols);
  w.bytes.resize(rows * rb + 1);
  w.dequant.resize(rows * cols);
  std::vector<float> src = RandomVector(rows * cols, seed, 0.5f);
  for (int64_t r = 0; r < rows; ++r) {
    gguf::QuantizeRow(type, src.data() + r * cols, w.bytes.data() + r * rb, cols);
    gguf::DequantizeRow(type, w.bytes.data() + r * rb, w.dequant.data() + r * cols, cols);
  }
  w.view = WeightView{type, w.bytes.data(), rows, cols};
  return w;
}

//! sum_c |w_c x_c| for every output, in double.
std::vector<double> Magnitudes(const Weights& w, const float* x, int64_t n_tokens) {
  const int64_t rows = w.view.rows, cols = w.view.cols;
  std::vector<double> m(n_tokens * rows);
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t c = 0; c < cols; ++c) s += std::fabs(static_cast<double>(w.dequant[r * cols + c]) * x[t * cols + c]);
      m[t * rows + r] = s;
    }
  }
  return m;
}

//! The largest change that Q8_0 rounding of the activations can cause.
std::vector<double> ActivationRoundingBound(const Weights& w, const float* x, int64_t n_tokens) {
  const int64_t rows = w.view.rows, cols = w.view.cols;
  std::vector<double> m(n_tokens * rows);
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t r = 0; r < rows; ++r) {
      double s = 0;
      for (int64_t b = 0; b < cols / 32; ++b) {
        double amax = 0, wsum = 0;
        for (int j = 0; j < 32; ++j) {
          amax = std::fmax(amax, std::fabs(x[t * cols + b * 32 + j]));
          wsum += std::fabs(w.dequant[r * cols + b * 32 + j]);
        }
        s += amax / 254.0 * wsum;
      }
      m[t * rows + r] = s;
    }
  }
  return m;
}

struct Shape {
  int64_t rows, cols, n_tokens;
};

std::vector<Shape> Shapes(TensorType type) {
  std::vector<Shape> s = {{1, 32, 1}, {5, 64, 3}, {19, 96, 17}, {67, 288, 64}, {37, 64, 130}, {16, 256, 1}, {7, 2080, 3}};
  if (!IsQuantized(type)) {
    s.push_back({3, 7, 2});
    s.push_back({21, 33, 5});
    s.push_back({9, 300, 17});
  }
  return s;
}

TEST(KernelsTest, MatMulMatchesReference) {
  ThreadPool pool(2);
  for (const KernelTable* k : Paths()) {
    for (TensorType type : kTypes) {
      uint32_t seed = 1;
      for (const Shape& sh : Shapes(type)) {
        SCOPED_TRACE(std::string(KernelPathName(k->path)) + " " + TypeName(type) + " rows=" +
                     std::to_string(sh.rows) + " cols=" + std::to_string(sh.cols) + " n_tokens=" +
                     std::to_string(sh.n_tokens));
        Weights w = MakeWeights(type, sh.rows, sh.cols, seed++);
        std::vector<float> x = RandomVector(sh.n_tokens * sh.cols, seed++, 1.0f, 0.1f);
        std::vector<float> y(sh.n_tokens * sh.rows, NAN), want(y.size()), want_q(y.size());
        MatMulWith(*k, w.view, x.data(), sh.n_tokens, y.data(), &pool);
        ref::MatMul(w.view, x.data(), sh.n_tokens, want.data(), nullptr);
        std::vector<double> mag = Magnitudes(w, x.data(), sh.n_tokens);
        if (!IsQuantized(type)) {
          for (size_t i = 0; i < y.size(); ++i) {
            ASSERT_NEAR(y[i], want[i], 1e-5 * mag[i] + 1e-30) << "i=" << i;
          }
          continue;
        }
        ref::MatMulQuantizedActivations(w.view, x.data(), sh.n_tokens, want_q.data());
        std::vector<double> bound = ActivationRoundingBound(w, x.data(), sh.n_tokens);
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], want_q[i], 2e-6 * mag[i] + 1e-30) << "i=" << i;
          ASSERT_NEAR(y[i], want[i], bound[i] * 1.001 + 1e-6 * mag[i]) << "i=" << i;
        }
      }
    }
  }
}

// Bit-identical results for 1 and 2 threads, and for a token alone vs in a batch.
TEST(KernelsTest, MatMulIsDeterministic) {
  ThreadPool pool1(1), pool2(2), pool3(3);
  const int64_t rows = 83, cols = 256, n_tokens = 70;
  for (const KernelTable* k : Paths()) {
    for (TensorType type : kTypes) {
      SCOPED_TRACE(std::string(KernelPathName(k->path)) + " " + TypeName(type));
      Weights w = MakeWeights(type, rows, cols, 7);
      std::vector<float> x = RandomVector(n_tokens * cols, 8);
      std::vector<float> y1(n_tokens * rows), y2(y1.size()), y3(y1.size()), y0(y1.size());
      MatMulWith(*k, w.view, x.data(), n_tokens, y1.data(), &pool1);
      MatMulWith(*k, w.view, x.data(), n_tokens, y2.data(), &pool2);
      MatMulWith(*k, w.view, x.data(), n_tokens, y3.data(), &pool3);
      MatMulWith(*k, w.view, x.data(), n_tokens, y0.data(), nullptr);
      EXPECT_EQ(0, std::memcmp(y1.data(), y2.data(), y1.size() * 4));
      EXPECT_EQ(0, std::memcmp(y1.data(), y3.data(), y1.size() * 4));
      EXPECT_EQ(0, std::memcmp(y1.data(), y0.data(), y1.size() * 4));
      // Each token alone, and in sub-batches of 3 and 17.
      for (int64_t batch : {1, 3, 17}) {
        std::vector<float> yb(n_tokens * rows);
        for (int64_t t = 0; t < n_tokens; t += batch) {
          const int64_t n = std::min(batch, n_tokens - t);
          MatMulWith(*k, w.view, x.data() + t * cols, n, yb.data() + t * rows, &pool2);
        }
        EXPECT_EQ(0, std::memcmp(y1.data(), yb.data(), y1.size() * 4)) << "batch=" << batch;
      }
    }
  }
}

// MatMulMany gives the bits of separate MatMul calls, for mixed types.
TEST(KernelsTest, MatMulManyEqualsSeparateCalls) {
  ThreadPool pool(2);
  const int64_t cols = 96;
  for (const KernelTable* k : Paths()) {
    for (int64_t n_tokens : {1, 5, 70}) {
      Weights a = MakeWeights(TensorType::kQ4_0, 33, cols, 61);
      Weights b = MakeWeights(TensorType::kQ8_0, 16, cols, 62);
      Weights c = MakeWeights(TensorType::kF32, 7, cols, 63);
      Weights d = MakeWeights(TensorType::kF16, 19, cols, 64);
      std::vector<float> x = RandomVector(n_tokens * cols, 65);
      const WeightView ws[4] = {a.view, b.view, c.view, d.view};
      std::vector<float> got[4], want[4];
      float* ys[4];
      for (int i = 0; i < 4; ++i) {
        got[i].assign(n_tokens * ws[i].rows, NAN);
        want[i].assign(n_tokens * ws[i].rows, NAN);
        ys[i] = got[i].data();
        MatMulWith(*k, ws[i], x.data(), n_tokens, want[i].data(), nullptr);
      }
      MatMulManyWith(*k, ws, 4, x.data(), n_tokens, ys, &pool);
      for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(0, std::memcmp(got[i].data(), want[i].data(), got[i].size() * 4))
            << KernelPathName(k->path) << " weight " << i << " n_tokens=" << n_tokens;
      }
    }
  }
  Weights a = MakeWeights(TensorType::kF32, 3, 32, 1), b = MakeWeights(TensorType::kF32, 3, 64, 2);
  const WeightView mixed[2] = {a.view, b.view};
  std::vector<float> x(64), y0(3), y1(3);
  float* ys[2] = {y0.data(), y1.data()};
  EXPECT_THROW(MatMulMany(mixed, 2, x.data(), 1, ys, nullptr), std::invalid_argument);
}

// Packed weights give the bits of the ggml layout, on every path (paths without
// a packed form keep the view), alone and in MatMulMany.
TEST(KernelsTest, PackedWeightsEqualUnpacked) {
  ThreadPool pool(2);
  const Shape shapes[] = {{1, 32, 1}, {8, 64, 2}, {21, 96, 1}, {37, 288, 5}, {16, 256, 70}, {9, 2080, 3}};
  for (const KernelTable* k : Paths()) {
    for (TensorType type : kTypes) {
      uint32_t seed = 100;
      for (const Shape& sh : shapes) {
        SCOPED_TRACE(std::string(KernelPathName(k->path)) + " " + TypeName(type) + " rows=" +
                     std::to_string(sh.rows) + " cols=" + std::to_string(sh.cols) + " n_tokens=" +
                     std::to_string(sh.n_tokens));
        Weights w = MakeWeights(type, sh.rows, sh.cols, seed++);
        std::vector<float> x = RandomVector(sh.n_tokens * sh.cols, seed++);
        const PackedWeights pw(w.view, *k);
        EXPECT_EQ(pw.packed(), k->path == KernelPath::kAvx512 && (IsQuantized(type) || type == TensorType::kF32));
        MatMulOperand op;
        op.view = w.view;
        op.packed = pw.data();
        std::vector<float> want(sh.n_tokens * sh.rows), got(want.size(), NAN);
        MatMulWith(*k, w.view, x.data(), sh.n_tokens, want.data(), nullptr);
        float* y = got.data();
        MatMulOperandsWith(*k, &op, 1, x.data(), sh.n_tokens, &y, &pool);
        if (type == TensorType::kF32 && pw.packed()) {
          // F32 panels sum in column order: the fp64 reference's tolerance.
          ref::MatMul(w.view, x.data(), sh.n_tokens, want.data(), nullptr);
          const std::vector<double> mag = Magnitudes(w, x.data(), sh.n_tokens);
          for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5 * mag[i] + 1e-30) << "i=" << i;
          continue;
        }
        EXPECT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * 4));
      }
    }
  }
  // The public entry points (active path).
  Weights a = MakeWeights(TensorType::kQ4_0, 40, 128, 7), b = MakeWeights(TensorType::kQ8_0, 24, 128, 8);
  std::vector<float> x = RandomVector(3 * 128, 9);
  const PackedWeights pa(a.view), pb(b.view);
  std::vector<float> ya(3 * 40), yb(3 * 24), want_a(ya.size()), want_b(yb.size());
  const PackedWeights* both[2] = {&pa, &pb};
  float* ys[2] = {ya.data(), yb.data()};
  MatMulMany(both, 2, x.data(), 3, ys, &pool);
  MatMul(a.view, x.data(), 3, want_a.data(), nullptr);
  MatMul(b.view, x.data(), 3, want_b.data(), nullptr);
  EXPECT_EQ(ya, want_a);
  EXPECT_EQ(yb, want_b);
  MatMul(pa, x.data(), 3, ya.data(), &pool);
  EXPECT_EQ(ya, want_a);
}

// The activation quantizers of all paths give the same bits as the scalar one.
// Packed weights give the same bits for any thread count and any split of the
// tokens into batches (F32 panels included, whose order differs from the ggml
// layout's).
TEST(KernelsTest, PackedWeightsAreDeterministic) {
  const KernelTable* avx512 = KernelsFor(KernelPath::kAvx512);
  if (avx512 == nullptr) GTEST_SKIP() << "no AVX-512 on this machine: no packed forms";
  ThreadPool pool1(1), pool2(2), pool3(3);
  const Shape shapes[] = {{83, 256, 70}, {200, 96, 53}, {16, 32, 30}, {130, 544, 9}};
  for (TensorType type : kTypes) {
    uint32_t seed = 300;
    for (const Shape& sh : shapes) {
      SCOPED_TRACE(std::string(TypeName(type)) + " rows=" + std::to_string(sh.rows) + " cols=" +
                   std::to_string(sh.cols));
      Weights w = MakeWeights(type, sh.rows, sh.cols, seed++);
      const PackedWeights pw(w.view, *avx512);
      if (!pw.packed()) continue;
      MatMulOperand op;
      op.view = w.view;
      op.packed = pw.data();
      std::vector<float> x = RandomVector(sh.n_tokens * sh.cols, seed++);
      auto run = [&](ThreadPool* pool, int64_t t0, int64_t n, float* out) {
        MatMulOperandsWith(*avx512, &op, 1, x.data() + t0 * sh.cols, n, &out, pool);
      };
      std::vector<float> y1(sh.n_tokens * sh.rows);
      run(&pool1, 0, sh.n_tokens, y1.data());
      for (ThreadPool* pool : {&pool2, &pool3}) {
        std::vector<float> y(y1.size());
        run(pool, 0, sh.n_tokens, y.data());
        EXPECT_EQ(0, std::memcmp(y1.data(), y.data(), y.size() * 4)) << "threads=" << pool->size();
      }
      for (int64_t batch : {1, 3, 5, 17, 24, 25}) {
        std::vector<float> yb(y1.size());
        for (int64_t t = 0; t < sh.n_tokens; t += batch) {
          run(&pool2, t, std::min(batch, sh.n_tokens - t), yb.data() + t * sh.rows);
        }
        EXPECT_EQ(0, std::memcmp(y1.data(), yb.data(), yb.size() * 4)) << "batch=" << batch;
      }
    }
  }
}

TEST(KernelsTest, ActivationQuantizationIsIdenticalAcrossPaths) {
  const int64_t cols = 320;
  std::vector<float> x = RandomVector(cols, 3, 2.0f);
  for (int j = 64; j < 96; ++j) x[j] = 0.0f;        // an all-zero block
  x[100] = 127.5f / 127.0f * 3.0f;                 // a value near a rounding tie
  const int64_t nb = cols / 32;
  std::vector<int8_t> q0(cols), q1(cols);
  std::vector<float> d0(nb), d1(nb);
  std::vector<int32_t> s0(nb), s1(nb);
  QuantizeActRowScalar(x.data(), nb, q0.data(), d0.data(), s0.data());
  EXPECT_EQ(d0[2], 0.0f);
  for (const KernelTable* k : Paths()) {
    k->quantize_act(x.data(), nb, q1.data(), d1.data(), s1.data());
    EXPECT_EQ(0, std::memcmp(q0.data(), q1.data(), cols)) << KernelPathName(k->path);
    EXPECT_EQ(0, std::memcmp(d0.data(), d1.data(), nb * 4)) << KernelPathName(k->path);
    EXPECT_EQ(s0, s1) << KernelPathName(k->path);
  }
}

TEST(KernelsTest, MatMulRejectsBadShapes) {
  std::vector<uint8_t> bytes(1000);
  float x[48] = {}, y[4] = {};
  WeightView w{TensorType::kQ4_0, bytes.data(), 1, 48};
  EXPECT_THROW(MatMul(w, x, 1, y, nullptr), std::invalid_argument);
  WeightView bad{static_cast<TensorType>(3), bytes.data(), 1, 32};
  EXPECT_THROW(MatMul(bad, x, 1, y, nullptr), std::invalid_argument);
}

TEST(KernelsTest, RmsNormMatchesReference) {
  for (const KernelTable* k : Paths()) {
    for (int64_t n : {1, 7, 64, 256, 1000}) {
      std::vector<float> x = RandomVector(n, 11, 3.0f), wt = RandomVector(n, 12);
      std::vector<float> y(n), want(n);
      k->rms_norm(x.data(), wt.data(), n, 1e-5f, y.data());
      ref::RmsNorm(x.data(), wt.data(), n, 1e-5f, want.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-7);
      k->rms_norm(x.data(), nullptr, n, 1e-5f, y.data());
      ref::RmsNorm(x.data(), nullptr, n, 1e-5f, want.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(y[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-7);
      // In place.
      k->rms_norm(x.data(), wt.data(), n, 1e-5f, x.data());
      ref::RmsNorm(RandomVector(n, 11, 3.0f).data(), wt.data(), n, 1e-5f, want.data());
      for (int64_t i = 0; i < n; ++i) ASSERT_NEAR(x[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-7);
    }
  }
}

TEST(KernelsTest, SoftmaxMatchesReference) {
  for (const KernelTable* k : Paths()) {
    for (int64_t n : {1, 5, 16, 100, 1031}) {
      std::vector<float> x = RandomVector(n, 21, 4.0f, 30.0f);
      if (n > 3) x[2] = -INFINITY;
      std::vector<float> want = x;
      k->softmax(x.data(), n);
      ref::Softmax(want.data(), n);
      double sum = 0;
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(x[i], want[i], 2e-6 * want[i] + 1e-9) << KernelPathName(k->path) << " n=" << n;
        sum += x[i];
      }
      EXPECT_NEAR(sum, 1.0, 1e-5);
      if (n > 3) {
        EXPECT_EQ(x[2], 0.0f);
      }
    }
    std::vector<float> big = {1e30f, -1e30f, 88.0f, -88.0f, 0.0f};
    std::vector<float> want = big;
    k->softmax(big.data(), 5);
    ref::Softmax(want.data(), 5);
    for (int i = 0; i < 5; ++i) EXPECT_NEAR(big[i], want[i], 1e-7);
  }
}

// The vector conversions round exactly like the scalar one: halfway cases,
// subnormal halves, overflow to infinity, NaNs, signed zeros.
TEST(KernelsTest, Fp32ToFp16RowMatchesScalar) {
  std::vector<float> x = {0.0f, -0.0f, 1.0f, -1.0f, 65504.0f, 65519.99f, 65520.0f, -65520.0f, 1e-8f, -1e-8f,
                          5.9604645e-8f, 2.9802322e-8f, 2.9802326e-8f, 6.1035156e-5f, 6.0975552e-5f,
                          1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, INFINITY, -INFINITY, NAN, -NAN, 1e30f, -1e-30f};
  std::mt19937 rng(5);
  for (int i = 0; i < 4000; ++i) {
    uint32_t bits = rng();
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
    x.push_back(std::ldexp(static_cast<float>(rng() % 4096) / 4096.0f + 0.5f, static_cast<int>(rng() % 40) - 28));
  }
  for (const KernelTable* k : Paths()) {
    SCOPED_TRACE(KernelPathName(k->path));
    for (size_t n : {x.size(), size_t{1}, size_t{15}, size_t{17}}) {
      std::vector<uint16_t> y(n, 0xDEAD);
      k->fp32_to_fp16(x.data(), y.data(), static_cast<int64_t>(n));
      for (size_t i = 0; i < n; ++i) {
        ASSERT_EQ(y[i], gguf::Fp32ToFp16(x[i])) << "x=" << x[i] << " i=" << i;
      }
    }
  }
}

TEST(KernelsTest, SwiGluMatchesReference) {
  for (const KernelTable* k : Paths()) {
    for (int64_t n : {1, 9, 64, 777}) {
      std::vector<float> g = RandomVector(n, 31, 4.0f), u = RandomVector(n, 32);
      if (n > 8) {
        g[0] = 100.0f;
        g[1] = -100.0f;
        g[2] = 0.0f;
        g[3] = -87.5f;
        g[4] = 89.0f;
      }
      std::vector<float> y(n), want(n);
      k->swiglu(g.data(), u.data(), y.data(), n);
      ref::SwiGlu(g.data(), u.data(), want.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(y[i], want[i], 2e-6 * std::fabs(want[i]) + 1e-30)
            << KernelPathName(k->path) << " g=" << g[i];
      }
    }
  }
}

TEST(KernelsTest, RopeMatchesReference) {
  for (int64_t pos : {0, 1, 17, 3000}) {
    for (int64_t n_dims : {64, 32}) {
      const int64_t n_heads = 3, head_dim = 64;
      std::vector<float> x = RandomVector(n_heads * head_dim, 41);
      std::vector<float> want = x;
      Rope(x.data(), n_heads, head_dim, n_dims, pos, 10000.0f);
      ref::Rope(want.data(), n_heads, head_dim, n_dims, pos, 10000.0f);
      for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], want[i], 2e-6) << "pos=" << pos << " i=" << i;
    }
  }
  // Position 0 is the identity; dims past n_dims are untouched.
  std::vector<float> x = RandomVector(128, 42), orig = x;
  Rope(x.data(), 2, 64, 64, 0, 10000.0f);
  EXPECT_EQ(x, orig);
  Rope(x.data(), 2, 64, 16, 5, 10000.0f);
  for (int i = 16; i < 64; ++i) EXPECT_EQ(x[i], orig[i]);
}

TEST(KernelsTest, GetRowsMatchesReference) {
  for (const KernelTable* k : Paths()) {
    for (TensorType type : kTypes) {
      const int64_t rows = 10, cols = 96;
      Weights w = MakeWeights(type, rows, cols, 51);
      std::vector<int32_t> ids = {3, 0, 9, 3};
      std::vector<float> got(ids.size() * cols), want(got.size());
      for (size_t i = 0; i < ids.size(); ++i) {
        k->dequantize_row(type, w.bytes.data() + ids[i] * WeightRowBytes(type, cols), cols, got.data() + i * cols);
      }
      ref::GetRows(w.view, ids.data(), ids.size(), want.data());
      EXPECT_EQ(got, want) << KernelPathName(k->path) << " " << TypeName(type);
      std::vector<float> pub(got.size());
      GetRows(w.view, ids.data(), ids.size(), pub.data());
      EXPECT_EQ(pub, want);
    }
  }
  std::vector<uint8_t> bytes(64);
  int32_t bad = 2;
  float out[16];
  EXPECT_THROW(GetRows(WeightView{TensorType::kF32, bytes.data(), 2, 16}, &bad, 1, out), std::out_of_range);
}

// The public functions run the best path that CAPSFUSION_CPU and the machine allow.
TEST(KernelsTest, PublicFunctionsUseTheActivePath) {
  const KernelPath hw = BestPath(DetectCpuRaw());
  KernelPath want = hw;
  if (const char* env = std::getenv("CAPSFUSION_CPU")) {
    if (std::string(env) == "generic") want = KernelPath::kGeneric;
    if (std::string(env) == "avx2" && hw == KernelPath::kAvx512) want = KernelPath::kAvx2;
  }
  EXPECT_EQ(ActiveKernels().path, want) << "CAPSFUSION_CPU=" << (std::getenv("CAPSFUSION_CPU") ?: "");
  std::cout << "kernel paths tested:";
  for (const KernelTable* k : Paths()) std::cout << ' ' << KernelPathName(k->path);
  std::cout << "; active: " << KernelPathName(ActiveKernels().path) << '\n';
}

TEST(CpuFeaturesTest, OverrideOnlyRemovesFeatures) {
  CpuFeatures all{true, true, true, true, true, true, true};
  EXPECT_EQ(BestPath(all), KernelPath::kAvx512);
  EXPECT_EQ(BestPath(ApplyCpuOverride(all, "avx2")), KernelPath::kAvx2);
  EXPECT_EQ(BestPath(ApplyCpuOverride(all, "generic")), KernelPath::kGeneric);
  EXPECT_EQ(BestPath(ApplyCpuOverride(all, "avx512")), KernelPath::kAvx512);
  EXPECT_EQ(BestPath(ApplyCpuOverride(all, nullptr)), KernelPath::kAvx512);
  CpuFeatures avx2_only{true, true, true, false, false, false, false};
  EXPECT_EQ(BestPath(ApplyCpuOverride(avx2_only, "avx512")), KernelPath::kAvx2);
  EXPECT_EQ(BestPath(CpuFeatures{}), KernelPath::kGeneric);
  EXPECT_FALSE(CpuFeaturesString(DetectCpuRaw()).empty());
}

}  // namespace
}  // namespace capsfusion::engine
