// Run-time dispatch of the public kernels (kernels.h) to the best kernel path,
// plus the kernels that need no per-path code (Rope, GetRows).
#include "engine/kernels.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/kernel_table.h"

namespace capsfusion::engine {

int64_t WeightRowBytes(TensorType type, int64_t cols) {
  const int64_t block = gguf::BlockSize(type);
  return block == 0 ? 0 : cols / block * static_cast<int64_t>(gguf::BlockBytes(type));
}

const KernelTable* KernelsFor(KernelPath path) {
  if (!PathSupported(path)) return nullptr;
  switch (path) {
    case KernelPath::kGeneric: return &GenericKernels();
    case KernelPath::kAvx2: return &Avx2Kernels();
    case KernelPath::kAvx512: return &Avx512Kernels();
  }
  return nullptr;
}

const KernelTable& ActiveKernels() {
  static const KernelTable* table = [] {
    for (int p = static_cast<int>(BestPath(DetectCpu())); p > 0; --p) {
      if (const KernelTable* t = KernelsFor(static_cast<KernelPath>(p))) return t;
    }
    return &GenericKernels();
  }();
  return *table;
}

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y) {
  ActiveKernels().rms_norm(x, weight, n, eps, y);
}

void Softmax(float* x, int64_t n) { ActiveKernels().softmax(x, n); }

void Fp32ToFp16Row(const float* x, uint16_t* y, int64_t n) { ActiveKernels().fp32_to_fp16(x, y, n); }

void SwiGlu(const float* gate, const float* up, float* out, int64_t n) {
  ActiveKernels().swiglu(gate, up, out, n);
}

namespace {

//! cos/sin of theta_i = pos * base^(-2i/n_dims) in double, cached for the last
//! (pos, n_dims, base) of this thread: Q and K of every layer share one table.
struct RopeTable {
  int64_t pos = -1, n_dims = -1;
  float base = 0.0f;
  std::vector<float> cos, sin;

  void Prepare(int64_t p, int64_t nd, float b) {
    if (p == pos && nd == n_dims && b == base) return;
    const int64_t half = nd / 2;
    cos.resize(half);
    sin.resize(half);
    for (int64_t i = 0; i < half; ++i) {
      const double theta = static_cast<double>(p) *
                           std::pow(static_cast<double>(b), -2.0 * static_cast<double>(i) / static_cast<double>(nd));
      cos[i] = static_cast<float>(std::cos(theta));
      sin[i] = static_cast<float>(std::sin(theta));
    }
    pos = p;
    n_dims = nd;
    base = b;
  }
};

}  // namespace

void Rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_dims, int64_t pos, float freq_base) {
  if (n_dims > head_dim) throw std::invalid_argument("Rope: n_dims > head_dim");
  thread_local RopeTable table;
  table.Prepare(pos, n_dims, freq_base);
  const int64_t half = n_dims / 2;
  const float* c = table.cos.data();
  const float* s = table.sin.data();
  for (int64_t h = 0; h < n_heads; ++h) {
    float* v = x + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float x0 = v[2 * i], x1 = v[2 * i + 1];
      const float a = x0 * c[i], b = x1 * s[i];
      const float e = x0 * s[i], f = x1 * c[i];
      v[2 * i] = a - b;
      v[2 * i + 1] = e + f;
    }
  }
}

void GetRows(const WeightView& embedding, const int32_t* ids, int64_t n, float* out) {
  const auto& k = ActiveKernels();
  const int64_t row_bytes = WeightRowBytes(embedding.type, embedding.cols);
  if (row_bytes == 0 && embedding.cols != 0) throw std::invalid_argument("GetRows: unsupported weight type");
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= embedding.rows) {
      throw std::out_of_range("GetRows: id " + std::to_string(ids[i]) + " outside [0, " +
                              std::to_string(embedding.rows) + ")");
    }
    k.dequantize_row(embedding.type, embedding.data + ids[i] * row_bytes, embedding.cols, out + i * embedding.cols);
  }
}

}  // namespace capsfusion::engine
