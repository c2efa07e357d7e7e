// Naive reference kernels (namespace ref): dequantize, then compute in double.
// They are slow on purpose; the tests hold every fast path against them.
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/act_quant.h"
#include "engine/kernels.h"

namespace capsfusion::engine {

namespace ref {
namespace {

const uint8_t* Row(const WeightView& w, int64_t r) { return w.data + r * WeightRowBytes(w.type, w.cols); }

void CheckWeights(const WeightView& w) {
  const bool known = w.type == TensorType::kF32 || w.type == TensorType::kF16 ||
                     w.type == TensorType::kQ8_0 || w.type == TensorType::kQ4_0;
  if (!known) throw std::invalid_argument("ref kernels: unsupported weight type");
  const bool quantized = w.type == TensorType::kQ8_0 || w.type == TensorType::kQ4_0;
  if (quantized && w.cols % kQBlock != 0) {
    throw std::invalid_argument("ref kernels: cols " + std::to_string(w.cols) + " not a multiple of 32");
  }
}

}  // namespace

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* /*pool*/) {
  CheckWeights(w);
  std::vector<float> row(w.cols);
  for (int64_t r = 0; r < w.rows; ++r) {
    gguf::DequantizeRow(w.type, Row(w, r), row.data(), w.cols);
    for (int64_t t = 0; t < n_tokens; ++t) {
      const float* xt = x + t * w.cols;
      double sum = 0;
      for (int64_t c = 0; c < w.cols; ++c) sum += static_cast<double>(row[c]) * xt[c];
      y[t * w.rows + r] = static_cast<float>(sum);
    }
  }
}

void MatMulQuantizedActivations(const WeightView& w, const float* x, int64_t n_tokens, float* y) {
  CheckWeights(w);
  if (w.type != TensorType::kQ8_0 && w.type != TensorType::kQ4_0) {
    ref::MatMul(w, x, n_tokens, y, nullptr);
    return;
  }
  const int64_t nb = w.cols / kQBlock;
  std::vector<int8_t> q(w.cols);
  std::vector<float> d(nb);
  std::vector<int32_t> qsum(nb);
  std::vector<int> wq(w.cols);
  std::vector<float> wd(nb);
  for (int64_t t = 0; t < n_tokens; ++t) {
    QuantizeActRowScalar(x + t * w.cols, nb, q.data(), d.data(), qsum.data());
    for (int64_t r = 0; r < w.rows; ++r) {
      const uint8_t* p = Row(w, r);
      for (int64_t b = 0; b < nb; ++b) {
        uint16_t h;
        if (w.type == TensorType::kQ8_0) {
          std::memcpy(&h, p + b * 34, 2);
          for (int j = 0; j < 32; ++j) wq[b * 32 + j] = static_cast<int8_t>(p[b * 34 + 2 + j]);
        } else {
          std::memcpy(&h, p + b * 18, 2);
          for (int j = 0; j < 16; ++j) {
            wq[b * 32 + j] = (p[b * 18 + 2 + j] & 0xf) - 8;
            wq[b * 32 + j + 16] = (p[b * 18 + 2 + j] >> 4) - 8;
          }
        }
        wd[b] = gguf::Fp16ToFp32(h);
      }
      double sum = 0;
      for (int64_t b = 0; b < nb; ++b) {
        int64_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += static_cast<int64_t>(wq[b * 32 + j]) * q[b * 32 + j];
        sum += static_cast<double>(wd[b]) * d[b] * static_cast<double>(isum);
      }
      y[t * w.rows + r] = static_cast<float>(sum);
    }
  }
}

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const double scale = 1.0 / std::sqrt(ss / static_cast<double>(n) + eps);
  for (int64_t i = 0; i < n; ++i) {
    y[i] = static_cast<float>(x[i] * scale * (weight ? weight[i] : 1.0f));
  }
}

void Rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_dims, int64_t pos, float freq_base) {
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; 2 * i + 1 < n_dims; ++i) {
      const double theta = static_cast<double>(pos) *
                           std::pow(static_cast<double>(freq_base), -2.0 * static_cast<double>(i) / n_dims);
      const double c = std::cos(theta), s = std::sin(theta);
      const double x0 = v[2 * i], x1 = v[2 * i + 1];
      v[2 * i] = static_cast<float>(x0 * c - x1 * s);
      v[2 * i + 1] = static_cast<float>(x0 * s + x1 * c);
    }
  }
}

void Softmax(float* x, int64_t n) {
  if (n <= 0) return;
  double mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::fmax(mx, x[i]);
  if (std::isinf(mx) && mx < 0) {  // all -inf: uniform is as good as anything; keep zeros
    for (int64_t i = 0; i < n; ++i) x[i] = 0.0f;
    return;
  }
  std::vector<double> e(n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    e[i] = std::exp(static_cast<double>(x[i]) - mx);
    sum += e[i];
  }
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(e[i] / sum);
}

void SwiGlu(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    out[i] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[i]);
  }
}

void GetRows(const WeightView& embedding, const int32_t* ids, int64_t n, float* out) {
  CheckWeights(embedding);
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= embedding.rows) throw std::out_of_range("GetRows: id out of range");
    gguf::DequantizeRow(embedding.type, Row(embedding, ids[i]), out + i * embedding.cols, embedding.cols);
  }
}

}  // namespace ref
}  // namespace capsfusion::engine
