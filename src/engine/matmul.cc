// The MatMul driver shared by all kernel paths: argument checks, Q8_0
// quantization of the activations, the split of the output into tiles of rows x
// tokens, and the distribution of the tiles over the thread pool.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/kernel_table.h"

namespace capsfusion::engine {
namespace {

//! Rows per work item (a multiple of every path's row tile).
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
  auto* s = reinterpret_cast<float*>(base + q_bytes + f_bytes);
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      k.quantize_act(x + t * cols, nb, q + t * nb * kQBlock, d + t * nb, s + t * nb);
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
  qa.s = s;
  return qa;
}

void MatMulWith(const KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool* pool) {
  TileFn tile = nullptr;
  bool quantized = false;
  switch (w.type) {
    case TensorType::kF32: tile = k.matmul_f32; break;
    case TensorType::kF16: tile = k.matmul_f16; break;
    case TensorType::kQ8_0: tile = k.matmul_q8_0; quantized = true; break;
    case TensorType::kQ4_0: tile = k.matmul_q4_0; quantized = true; break;
  }
  if (tile == nullptr) {
    throw std::invalid_argument("MatMul: unsupported weight type " +
                                std::to_string(static_cast<uint32_t>(w.type)));
  }
  if (w.rows < 0 || w.cols < 0 || n_tokens < 0) throw std::invalid_argument("MatMul: negative size");
  if (quantized && w.cols % kQBlock != 0) {
    throw std::invalid_argument("MatMul: cols " + std::to_string(w.cols) + " is not a multiple of 32");
  }
  if (n_tokens == 0 || w.rows == 0) return;
  if (w.cols == 0) {
    std::memset(y, 0, static_cast<size_t>(n_tokens * w.rows) * sizeof(float));
    return;
  }

  MatMulTask task;
  task.w = w.data;
  task.row_bytes = WeightRowBytes(w.type, w.cols);
  task.rows = w.rows;
  task.cols = w.cols;
  task.x = x;
  task.n_tokens = n_tokens;
  task.y = y;
  if (quantized) task.qa = QuantizeActivations(k, x, n_tokens, w.cols, pool);

  const int64_t n_row_items = (w.rows + kRowsPerItem - 1) / kRowsPerItem;
  const int64_t n_tok_items = (n_tokens + kTokensPerItem - 1) / kTokensPerItem;
  auto run = [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t ti = i / n_row_items, ri = i % n_row_items;
      const int64_t r0 = ri * kRowsPerItem, t0 = ti * kTokensPerItem;
      tile(task, r0, std::min(w.rows, r0 + kRowsPerItem), t0, std::min(n_tokens, t0 + kTokensPerItem));
    }
  };
  ParallelForOrSerial(pool, n_row_items * n_tok_items, run);
}

void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  MatMulWith(ActiveKernels(), w, x, n_tokens, y, pool);
}

}  // namespace capsfusion::engine
