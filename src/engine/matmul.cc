// The MatMul driver shared by all kernel paths: argument checks, Q8_0
// quantization of the activations, the split of the output into tiles of rows x
// tokens, and the distribution of the tiles (of one or several weight
// matrices) over the thread pool.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/kernel_table.h"

namespace capsfusion::engine {
namespace {

//! Rows per work item (a multiple of every path's row tile and of the 8-row
//! groups of packed weights).
constexpr int64_t kRowsPerItem = 16;
//! Tokens per work item: the activations of one item stay in L2 while all the
//! item's weight rows are applied to them.
constexpr int64_t kTokensPerItem = 64;
//! Below this many activation elements the quantization runs on the caller only.
constexpr int64_t kParallelQuantizeMin = 1 << 15;

//! Per-thread scratch that only grows.
struct Scratch {
  std::vector<uint8_t> bytes;
  uint8_t* Get(size_t n) {
    if (bytes.size() < n + 64) bytes.resize(n + 64);
    auto p = reinterpret_cast<uintptr_t>(bytes.data());
    return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t{63});
  }
};

size_t AlignUp(size_t n) { return (n + 63) & ~size_t{63}; }

}  // namespace

QuantizedActs QuantizeActivations(const KernelTable& k, const float* x, int64_t n_tokens, int64_t cols,
                                  ThreadPool* pool) {
  thread_local Scratch scratch;
  const int64_t nb = cols / kQBlock;
  const size_t q_bytes = AlignUp(static_cast<size_t>(n_tokens * nb * kQBlock));
  const size_t f_bytes = AlignUp(static_cast<size_t>(n_tokens * nb) * sizeof(float));
  uint8_t* base = scratch.Get(q_bytes + 2 * f_bytes);
  auto* q = reinterpret_cast<int8_t*>(base);
  auto* d = reinterpret_cast<float*>(base + q_bytes);
  auto* qsum = reinterpret_cast<int32_t*>(base + q_bytes + f_bytes);
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      k.quantize_act(x + t * cols, nb, q + t * nb * kQBlock, d + t * nb, qsum + t * nb);
    }
  };
  if (n_tokens * cols >= kParallelQuantizeMin) {
    ParallelForOrSerial(pool, n_tokens, run, std::max<int64_t>(1, 4096 / std::max<int64_t>(cols, 1)));
  } else {
    run(0, n_tokens);
  }
  QuantizedActs qa;
  qa.nb = nb;
  qa.q = q;
  qa.d = d;
  qa.qsum = qsum;
  return qa;
}

namespace {

TileFn TileFor(const KernelTable& k, const WeightView& w, bool* quantized) {
  TileFn tile = nullptr;
  *quantized = false;
  switch (w.type) {
    case TensorType::kF32: tile = k.matmul_f32; break;
    case TensorType::kF16: tile = k.matmul_f16; break;
    case TensorType::kQ8_0: tile = k.matmul_q8_0; *quantized = true; break;
    case TensorType::kQ4_0: tile = k.matmul_q4_0; *quantized = true; break;
  }
  if (tile == nullptr) {
    throw std::invalid_argument("MatMul: unsupported weight type " + std::to_string(static_cast<uint32_t>(w.type)));
  }
  if (w.rows < 0 || w.cols < 0) throw std::invalid_argument("MatMul: negative size");
  if (*quantized && w.cols % kQBlock != 0) {
    throw std::invalid_argument("MatMul: cols " + std::to_string(w.cols) + " is not a multiple of 32");
  }
  return tile;
}

}  // namespace

void MatMulOperandsWith(const KernelTable& k, const MatMulOperand* ops, int n, const float* x, int64_t n_tokens,
                        float* const* ys, ThreadPool* pool) {
  if (n <= 0) return;
  if (n > kMaxMatMulMany) throw std::invalid_argument("MatMulMany: more than kMaxMatMulMany weights");
  if (n_tokens < 0) throw std::invalid_argument("MatMul: negative n_tokens");
  const int64_t cols = ops[0].view.cols;
  TileFn tiles[kMaxMatMulMany];
  bool any_quantized = false;
  for (int i = 0; i < n; ++i) {
    bool quantized = false;
    tiles[i] = TileFor(k, ops[i].view, &quantized);
    any_quantized = any_quantized || quantized;
    if (ops[i].view.cols != cols) throw std::invalid_argument("MatMulMany: the weights differ in cols");
  }
  if (n_tokens == 0) return;
  if (cols == 0) {
    for (int i = 0; i < n; ++i) {
      std::memset(ys[i], 0, static_cast<size_t>(n_tokens * ops[i].view.rows) * sizeof(float));
    }
    return;
  }

  MatMulTask tasks[kMaxMatMulMany];
  QuantizedActs qa;
  if (any_quantized) qa = QuantizeActivations(k, x, n_tokens, cols, pool);
  const int64_t n_tok_items = (n_tokens + kTokensPerItem - 1) / kTokensPerItem;
  int64_t n_row_items[kMaxMatMulMany];
  int64_t rows_per_item[kMaxMatMulMany];
  int64_t first_item[kMaxMatMulMany + 1];
  first_item[0] = 0;
  for (int i = 0; i < n; ++i) {
    const WeightView& w = ops[i].view;
    MatMulTask& task = tasks[i];
    task.w = w.data;
    task.row_bytes = WeightRowBytes(w.type, cols);
    if (ops[i].packed != nullptr) {
      TileFn packed = w.type == TensorType::kQ4_0   ? k.matmul_q4_0_packed
                      : w.type == TensorType::kQ8_0 ? k.matmul_q8_0_packed
                      : w.type == TensorType::kF32  ? k.matmul_f32_packed
                                                    : nullptr;
      if (packed == nullptr || k.packed_group_bytes == nullptr) {
        throw std::invalid_argument("MatMul: packed weights for another kernel path");
      }
      tiles[i] = packed;
      task.w = ops[i].packed;
      task.row_bytes = k.packed_group_bytes(w.type, cols);
    }
    task.rows = w.rows;
    task.cols = cols;
    task.x = x;
    task.n_tokens = n_tokens;
    task.qa = qa;
    task.y = ys[i];
    rows_per_item[i] = ops[i].packed != nullptr && w.type == TensorType::kF32 ? kPackedF32GroupRows : kRowsPerItem;
    n_row_items[i] = (w.rows + rows_per_item[i] - 1) / rows_per_item[i];
    first_item[i + 1] = first_item[i] + n_row_items[i] * n_tok_items;
  }
  auto run = [&](int64_t i0, int64_t i1) {
    int w = 0;
    for (int64_t i = i0; i < i1; ++i) {
      while (i >= first_item[w + 1]) ++w;
      const int64_t j = i - first_item[w];
      const int64_t ti = j / n_row_items[w], ri = j % n_row_items[w];
      const int64_t r0 = ri * rows_per_item[w], t0 = ti * kTokensPerItem;
      tiles[w](tasks[w], r0, std::min(tasks[w].rows, r0 + rows_per_item[w]), t0,
               std::min(n_tokens, t0 + kTokensPerItem));
    }
  };
  ParallelForOrSerial(pool, first_item[n], run);
}

void MatMulManyWith(const KernelTable& k, const WeightView* ws, int n, const float* x, int64_t n_tokens,
                    float* const* ys, ThreadPool* pool) {
  if (n > kMaxMatMulMany) throw std::invalid_argument("MatMulMany: more than kMaxMatMulMany weights");
  MatMulOperand ops[kMaxMatMulMany];
  for (int i = 0; i < n; ++i) ops[i].view = ws[i];
  MatMulOperandsWith(k, ops, n, x, n_tokens, ys, pool);
}

void MatMulWith(const KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool* pool) {
  MatMulManyWith(k, &w, 1, x, n_tokens, &y, pool);
}

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  MatMulWith(ActiveKernels(), w, x, n_tokens, y, pool);
}

void MatMulMany(const WeightView* ws, int n, const float* x, int64_t n_tokens, float* const* ys,
                ThreadPool* pool) {
  MatMulManyWith(ActiveKernels(), ws, n, x, n_tokens, ys, pool);
}

}  // namespace capsfusion::engine
