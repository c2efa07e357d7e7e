// The key/value cache: paged, reference-counted blocks shared between
// sequences.
//
// Each sequence owns a block table: position p of the sequence lives in block
// table[p / block_size] at row p % block_size. Blocks are reference counted, so
// a sequence forked from another shares all of its blocks (a shared prompt
// prefix, the beams of one prompt) and a block is copied only when a sequence
// writes into one that is still shared (copy on write). Beam search therefore
// copies at most one partial block per beam and step, and a prefix computed once
// is used by every sequence without copying.
//
// A block holds every layer: for layer l and KV head h, the keys are stored
// transposed, [head_dim][block_size] (so one vector instruction scores
// block_size keys at once), the values row-major, [block_size][head_dim].
// Elements are F32 or F16 (IEEE half, as llama.cpp's default cache: half the
// memory and half the memory traffic of attention, about 1e-3 relative error).
// Storage grows in chunks as blocks are needed and is reused after sequences are
// released; it is never returned to the system before the cache dies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "capsfusion/status.h"

namespace capsfusion::engine {

enum class KvType { kF32, kF16 };

struct KvCacheConfig {
  KvType type = KvType::kF32;
  int n_layer = 0;
  int n_kv_head = 0;
  int head_dim = 0;
  int block_size = 16;   //!< positions per block
  size_t max_bytes = 0;  //!< 0: unlimited; otherwise Reserve fails beyond it
};

class KvCache {
 public:
  explicit KvCache(const KvCacheConfig& config);
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const KvCacheConfig& config() const { return cfg_; }
  int block_size() const { return cfg_.block_size; }

  //! A new empty sequence; returns its id.
  int NewSequence();
  //! A new sequence holding the first `len` positions of `src` (all when
  //! len < 0), sharing its blocks.
  int Fork(int src, int len = -1);
  //! Makes `dst` hold what `src` holds (shared blocks); dst's old blocks are released.
  void Assign(int dst, int src);
  //! Frees the sequence id and releases its blocks.
  void Release(int seq);
  //! Forgets the positions >= len.
  void Truncate(int seq, int len);

  int length(int seq) const { return seqs_[seq].len; }
  bool live(int seq) const { return seq >= 0 && seq < static_cast<int>(seqs_.size()) && seqs_[seq].live; }
  int live_sequences() const;

  //! Makes positions [length, new_len) writable by `seq` alone: allocates the
  //! missing blocks and copies a shared partial block. Fails (leaving the
  //! sequence usable) only when max_bytes would be exceeded.
  Status Reserve(int seq, int new_len);
  //! Records that positions [0, len) now hold data (after Reserve and a forward pass).
  void SetLength(int seq, int len) { seqs_[seq].len = len; }

  //! The block table of a sequence.
  const std::vector<int32_t>& blocks(int seq) const { return seqs_[seq].blocks; }
  //! Bytes per element: 4 (F32) or 2 (F16).
  size_t element_bytes() const { return elem_; }
  //! Keys of (block, layer, head): head_dim x block_size elements, transposed.
  void* keys(int32_t block, int layer, int head) const {
    return BlockData(block) + (static_cast<size_t>(layer) * 2 * cfg_.n_kv_head + head) * head_bytes_;
  }
  //! Values of (block, layer, head): block_size x head_dim elements.
  void* values(int32_t block, int layer, int head) const {
    return BlockData(block) +
           (static_cast<size_t>(layer) * 2 * cfg_.n_kv_head + cfg_.n_kv_head + head) * head_bytes_;
  }

  //! Bytes of block storage allocated so far.
  size_t bytes_allocated() const { return chunks_.size() * blocks_per_chunk_ * block_bytes_; }
  //! Blocks in use (referenced by at least one sequence).
  size_t blocks_in_use() const { return blocks_in_use_; }
  int32_t refcount(int32_t block) const { return refcount_[block]; }

 private:
  struct Sequence {
    bool live = false;
    int len = 0;
    std::vector<int32_t> blocks;
  };

  uint8_t* BlockData(int32_t block) const {
    return chunks_[static_cast<size_t>(block) / blocks_per_chunk_].get() +
           (static_cast<size_t>(block) % blocks_per_chunk_) * block_bytes_;
  }
  StatusOr<int32_t> AllocateBlock();
  void Unref(int32_t block);
  void ReleaseBlocks(Sequence* s);

  KvCacheConfig cfg_;
  size_t elem_ = 4;          // bytes per element
  size_t head_bytes_ = 0;    // head_dim * block_size * elem_
  size_t block_bytes_ = 0;   // 2 * n_layer * n_kv_head * head_bytes_
  size_t blocks_per_chunk_ = 1;
  std::vector<std::unique_ptr<uint8_t[]>> chunks_;
  std::vector<int32_t> refcount_;
  std::vector<int32_t> free_blocks_;
  size_t blocks_in_use_ = 0;
  std::vector<Sequence> seqs_;
  std::vector<int> free_seqs_;
};

}  // namespace capsfusion::engine
