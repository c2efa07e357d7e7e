// PackedWeights: a quantized weight matrix rearranged once, at model load, into
// the layout the active kernel path reads fastest.
//
// On the AVX-512 path Q4_0 and Q8_0 rows are stored 8 at a time, already
// transposed for the integer dot products, with float scales; single-token
// decoding then needs no shuffles at all (2-3x faster than on the GGUF layout).
// Results are bit-identical to MatMul on the original WeightView. F32 rows are
// stored column-major in groups of 64 rows, so each output is one FMA chain
// with no horizontal sums (packed_f32_avx512.cc): results equal MatMul on the
// original view up to float rounding, and do not depend on the batch size.
// Other types and paths keep no copy and read the original weights.
//
//   PackedWeights wq(view);             // once; `view` must stay valid (mmap)
//   MatMul(wq, x, n_tokens, y, pool);   // instead of MatMul(view, ...)
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernels.h"

namespace capsfusion::engine {

struct KernelTable;

class PackedWeights {
 public:
  PackedWeights() = default;
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;
  PackedWeights(PackedWeights&&) = default;
  PackedWeights& operator=(PackedWeights&&) = default;
  //! Packs `w` for the active kernel path when it has a packed form for w's
  //! type; otherwise only keeps the view. The original data must outlive this
  //! object either way. Throws std::invalid_argument like MatMul for bad shapes.
  explicit PackedWeights(const WeightView& w);
  //! The same for a given kernel table (tests, benchmarks).
  PackedWeights(const WeightView& w, const KernelTable& k);
  //! Packs into `storage` (StorageBytes(w, k) bytes, 64-byte aligned, owned by
  //! the caller and outliving this object) instead of memory of its own; when
  //! w has no packed form for k, storage is not touched and may be null.
  PackedWeights(const WeightView& w, const KernelTable& k, uint8_t* storage);
  //! Keeps only the view: MatMul reads the original layout.
  static PackedWeights ViewOnly(const WeightView& w);
  //! Bytes the packed form of w takes for table k (0: w stays as it is).
  static int64_t StorageBytes(const WeightView& w, const KernelTable& k);

  const WeightView& view() const { return view_; }
  //! True when a packed copy exists.
  bool packed() const { return data_ != nullptr; }
  //! The packed data (null when !packed()).
  const uint8_t* data() const { return data_; }
  //! Bytes held by the packed copy.
  size_t packed_bytes() const { return packed_bytes_; }
  //! The kernel table the packed form was made for (null when !packed()).
  const KernelTable* table() const { return table_; }
  //! When packed, tells the kernel the original pages will not be read again
  //! (MADV_PAGEOUT on the whole pages inside the view): pages of a mapped file
  //! leave memory and would come back from the file if touched; the data stays
  //! valid either way. Keeps the resident memory of a packed model near the
  //! size of the packed copy instead of twice it.
  void ReleaseOriginalPages() const;

 private:
  WeightView view_;
  void Pack(const KernelTable& k, uint8_t* dst, int64_t n);

  std::vector<uint8_t> bytes_;  // own storage (empty with external storage)
  const uint8_t* data_ = nullptr;
  size_t packed_bytes_ = 0;
  const KernelTable* table_ = nullptr;
};

//! MatMul (kernels.h) on packed weights.
void MatMul(const PackedWeights& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool);
//! MatMulMany (kernels.h) on packed weights.
void MatMulMany(const PackedWeights* const* ws, int n, const float* x, int64_t n_tokens, float* const* ys,
                ThreadPool* pool);

}  // namespace capsfusion::engine
