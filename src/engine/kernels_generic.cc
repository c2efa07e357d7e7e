// The portable kernel path: plain C++ with no vector extensions assumed. Used
// on CPUs without AVX2 and as a fallback; also the baseline of the tests.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernel_table.h"

namespace capsfusion::engine {
namespace {

//! Dot product with 8 interleaved partial sums, combined in a fixed tree.
float Dot8(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  }
  for (int j = 0; i < n; ++i, ++j) acc[j] += a[i] * b[i];
  const float s0 = (acc[0] + acc[4]) + (acc[2] + acc[6]);
  const float s1 = (acc[1] + acc[5]) + (acc[3] + acc[7]);
  return s0 + s1;
}

void TileF32(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  for (int64_t r = r0; r < r1; ++r) {
    const float* w = reinterpret_cast<const float*>(k.w + r * k.row_bytes);
    for (int64_t t = t0; t < t1; ++t) k.y[t * k.rows + r] = Dot8(w, k.x + t * k.cols, k.cols);
  }
}

//! fp16 -> fp32 for all 65536 codes (256 KB, built on first use).
const float* HalfTable() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = gguf::Fp16ToFp32(static_cast<uint16_t>(h));
    return t;
  }();
  return table.data();
}

void TileF16(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  thread_local std::vector<float> row;
  row.resize(k.cols);
  const float* table = HalfTable();
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* src = k.w + r * k.row_bytes;
    for (int64_t c = 0; c < k.cols; ++c) {
      uint16_t h;
      std::memcpy(&h, src + 2 * c, 2);
      row[c] = table[h];
    }
    for (int64_t t = t0; t < t1; ++t) k.y[t * k.rows + r] = Dot8(row.data(), k.x + t * k.cols, k.cols);
  }
}

//! Decodes one quantized weight row into signed codes and float scales.
void DecodeRow(TensorType type, const uint8_t* p, int64_t nb, int8_t* codes, float* scales) {
  for (int64_t b = 0; b < nb; ++b) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    scales[b] = gguf::Fp16ToFp32(h);
    int8_t* c = codes + b * kQBlock;
    if (type == TensorType::kQ8_0) {
      std::memcpy(c, p + 2, kQBlock);
      p += 34;
    } else {
      for (int j = 0; j < 16; ++j) {
        c[j] = static_cast<int8_t>((p[2 + j] & 0xf) - 8);
        c[j + 16] = static_cast<int8_t>((p[2 + j] >> 4) - 8);
      }
      p += 18;
    }
  }
}

template <TensorType kType>
void TileQuantized(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  const int64_t nb = k.qa.nb;
  thread_local std::vector<int8_t> codes;
  thread_local std::vector<float> scales;
  codes.resize(nb * kQBlock);
  scales.resize(nb);
  for (int64_t r = r0; r < r1; ++r) {
    DecodeRow(kType, k.w + r * k.row_bytes, nb, codes.data(), scales.data());
    for (int64_t t = t0; t < t1; ++t) {
      const int8_t* q = k.qa.q + t * nb * kQBlock;
      const float* d = k.qa.d + t * nb;
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t isum = 0;
        for (int j = 0; j < kQBlock; ++j) isum += codes[b * kQBlock + j] * q[b * kQBlock + j];
        acc += (scales[b] * d[b]) * static_cast<float>(isum);
      }
      k.y[t * k.rows + r] = acc;
    }
  }
}

void RmsNormGeneric(const float* x, const float* weight, int64_t n, float eps, float* y) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = weight ? x[i] * scale * weight[i] : x[i] * scale;
}

void SoftmaxGeneric(float* x, int64_t n) {
  if (n <= 0) return;
  float mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, x[i]);
  if (std::isinf(mx) && mx < 0) {
    for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
    return;
  }
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SwiGluGeneric(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void Fp32ToFp16Generic(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = gguf::Fp32ToFp16(x[i]);
}

void DequantizeRowGeneric(TensorType type, const uint8_t* row, int64_t cols, float* out) {
  gguf::DequantizeRow(type, row, out, cols);
}

}  // namespace

const KernelTable& GenericKernels() {
  static const KernelTable table = [] {
    KernelTable t;
    t.path = KernelPath::kGeneric;
    t.matmul_f32 = TileF32;
    t.matmul_f16 = TileF16;
    t.matmul_q8_0 = TileQuantized<TensorType::kQ8_0>;
    t.matmul_q4_0 = TileQuantized<TensorType::kQ4_0>;
    t.quantize_act = QuantizeActRowScalar;
    t.rms_norm = RmsNormGeneric;
    t.softmax = SoftmaxGeneric;
    t.swiglu = SwiGluGeneric;
    t.fp32_to_fp16 = Fp32ToFp16Generic;
    t.dequantize_row = DequantizeRowGeneric;
    return t;
  }();
  return table;
}

}  // namespace capsfusion::engine
