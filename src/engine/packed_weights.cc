// PackedWeights construction and the MatMul entry points on packed weights.
#include "engine/packed_weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/kernel_table.h"

namespace capsfusion::engine {

PackedWeights::PackedWeights(const WeightView& w) : PackedWeights(w, ActiveKernels()) {}

namespace {

void CheckShape(const WeightView& w) {
  const bool quantized = w.type == TensorType::kQ4_0 || w.type == TensorType::kQ8_0;
  if (w.rows < 0 || w.cols < 0) throw std::invalid_argument("PackedWeights: negative size");
  if (quantized && w.cols % kQBlock != 0) {
    throw std::invalid_argument("PackedWeights: cols " + std::to_string(w.cols) + " is not a multiple of 32");
  }
}

}  // namespace

int64_t PackedWeights::StorageBytes(const WeightView& w, const KernelTable& k) {
  CheckShape(w);
  if (k.pack == nullptr || k.packed_bytes == nullptr || w.rows == 0 || w.cols == 0) return 0;
  return std::max<int64_t>(0, k.packed_bytes(w.type, w.rows, w.cols));
}

PackedWeights::PackedWeights(const WeightView& w, const KernelTable& k) : view_(w) {
  const int64_t n = StorageBytes(w, k);
  if (n == 0) return;
  bytes_.resize(static_cast<size_t>(n) + 64);
  const size_t offset = (64 - reinterpret_cast<uintptr_t>(bytes_.data()) % 64) % 64;
  Pack(k, bytes_.data() + offset, n);
}

PackedWeights::PackedWeights(const WeightView& w, const KernelTable& k, uint8_t* storage) : view_(w) {
  const int64_t n = StorageBytes(w, k);
  if (n == 0) return;
  if (storage == nullptr || reinterpret_cast<uintptr_t>(storage) % 64 != 0) {
    throw std::invalid_argument("PackedWeights: storage must be 64-byte aligned");
  }
  Pack(k, storage, n);
}

void PackedWeights::Pack(const KernelTable& k, uint8_t* dst, int64_t n) {
  k.pack(view_, dst);
  data_ = dst;
  packed_bytes_ = static_cast<size_t>(n);
  table_ = &k;
}

void PackedWeights::ReleaseOriginalPages() const {
#ifdef MADV_PAGEOUT
  if (!packed() || view_.data == nullptr) return;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<uintptr_t>(view_.data);
  const uintptr_t end = begin + static_cast<uintptr_t>(view_.rows * WeightRowBytes(view_.type, view_.cols));
  const uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_PAGEOUT);  // a hint: errors ignored
#endif
}

PackedWeights PackedWeights::ViewOnly(const WeightView& w) {
  PackedWeights p;
  p.view_ = w;
  return p;
}

namespace {

MatMulOperand Operand(const PackedWeights& w, const KernelTable& k) {
  MatMulOperand op;
  op.view = w.view();
  if (w.packed() && w.table() == &k) op.packed = w.data();
  return op;
}

}  // namespace

void MatMul(const PackedWeights& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool) {
  const KernelTable& k = ActiveKernels();
  const MatMulOperand op = Operand(w, k);
  MatMulOperandsWith(k, &op, 1, x, n_tokens, &y, pool);
}

void MatMulMany(const PackedWeights* const* ws, int n, const float* x, int64_t n_tokens, float* const* ys,
                ThreadPool* pool) {
  if (n > kMaxMatMulMany) throw std::invalid_argument("MatMulMany: more than kMaxMatMulMany weights");
  const KernelTable& k = ActiveKernels();
  MatMulOperand ops[kMaxMatMulMany];
  for (int i = 0; i < n; ++i) ops[i] = Operand(*ws[i], k);
  MatMulOperandsWith(k, ops, n, x, n_tokens, ys, pool);
}

}  // namespace capsfusion::engine
