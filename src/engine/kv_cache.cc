#include "engine/kv_cache.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace capsfusion::engine {

namespace {
constexpr size_t kChunkBytes = size_t{4} << 20;  // grow storage ~4 MiB at a time
}

KvCache::KvCache(const KvCacheConfig& config) : cfg_(config) {
  if (cfg_.block_size < 1) cfg_.block_size = 16;
  elem_ = cfg_.type == KvType::kF16 ? 2 : 4;
  head_bytes_ = static_cast<size_t>(cfg_.head_dim) * cfg_.block_size * elem_;
  block_bytes_ = std::max<size_t>(1, 2 * static_cast<size_t>(cfg_.n_layer) * cfg_.n_kv_head * head_bytes_);
  blocks_per_chunk_ = std::max<size_t>(1, kChunkBytes / block_bytes_);
}

int KvCache::NewSequence() {
  int id;
  if (!free_seqs_.empty()) {
    id = free_seqs_.back();
    free_seqs_.pop_back();
  } else {
    id = static_cast<int>(seqs_.size());
    seqs_.emplace_back();
  }
  Sequence& s = seqs_[id];
  s.live = true;
  s.len = 0;
  s.blocks.clear();
  return id;
}

int KvCache::Fork(int src, int len) {
  const int id = NewSequence();
  const Sequence& from = seqs_[src];
  const int n = len < 0 ? from.len : std::min(len, from.len);
  const size_t nb = (static_cast<size_t>(n) + cfg_.block_size - 1) / cfg_.block_size;
  Sequence& s = seqs_[id];
  s.blocks.assign(from.blocks.begin(), from.blocks.begin() + static_cast<std::ptrdiff_t>(nb));
  for (int32_t b : s.blocks) ++refcount_[b];
  s.len = n;
  return id;
}

void KvCache::Assign(int dst, int src) {
  if (dst == src) return;
  const Sequence& from = seqs_[src];
  for (int32_t b : from.blocks) ++refcount_[b];  // before releasing: they may overlap
  Sequence& s = seqs_[dst];
  ReleaseBlocks(&s);
  s.blocks = from.blocks;
  s.len = from.len;
}

void KvCache::Release(int seq) {
  Sequence& s = seqs_[seq];
  if (!s.live) return;
  ReleaseBlocks(&s);
  s.live = false;
  s.len = 0;
  free_seqs_.push_back(seq);
}

void KvCache::Truncate(int seq, int len) {
  Sequence& s = seqs_[seq];
  if (len >= s.len) return;
  s.len = std::max(0, len);
  const size_t nb = (static_cast<size_t>(s.len) + cfg_.block_size - 1) / cfg_.block_size;
  while (s.blocks.size() > nb) {
    Unref(s.blocks.back());
    s.blocks.pop_back();
  }
}

int KvCache::live_sequences() const {
  int n = 0;
  for (const auto& s : seqs_) n += s.live ? 1 : 0;
  return n;
}

StatusOr<int32_t> KvCache::AllocateBlock() {
  if (free_blocks_.empty()) {
    const size_t chunk_bytes = blocks_per_chunk_ * block_bytes_;
    if (cfg_.max_bytes != 0 && bytes_allocated() + chunk_bytes > cfg_.max_bytes) {
      return Status::OutOfRange("KV cache is full (" + std::to_string(bytes_allocated() >> 20) +
                                " MiB allocated, limit " + std::to_string(cfg_.max_bytes >> 20) + " MiB)");
    }
    // Default-initialised: pages are touched only when a block is first used.
    chunks_.emplace_back(new uint8_t[blocks_per_chunk_ * block_bytes_]);
    const size_t first = (chunks_.size() - 1) * blocks_per_chunk_;
    refcount_.resize(first + blocks_per_chunk_, 0);
    for (size_t i = blocks_per_chunk_; i-- > 0;) free_blocks_.push_back(static_cast<int32_t>(first + i));
  }
  const int32_t b = free_blocks_.back();
  free_blocks_.pop_back();
  refcount_[b] = 1;
  ++blocks_in_use_;
  // Zeroed so that reading the unused tail of a partial block never sees garbage.
  std::memset(BlockData(b), 0, block_bytes_);
  return b;
}

void KvCache::Unref(int32_t block) {
  if (--refcount_[block] == 0) {
    free_blocks_.push_back(block);
    --blocks_in_use_;
  }
}

void KvCache::ReleaseBlocks(Sequence* s) {
  for (int32_t b : s->blocks) Unref(b);
  s->blocks.clear();
}

Status KvCache::Reserve(int seq, int new_len) {
  Sequence& s = seqs_[seq];
  if (new_len <= s.len) return Status::OK();
  const size_t bs = static_cast<size_t>(cfg_.block_size);
  const size_t first = static_cast<size_t>(s.len) / bs;
  const size_t last = (static_cast<size_t>(new_len) - 1) / bs;
  for (size_t i = first; i <= last; ++i) {
    if (i < s.blocks.size()) {
      const int32_t old = s.blocks[i];
      if (refcount_[old] == 1) continue;
      auto fresh = AllocateBlock();
      if (!fresh.ok()) return fresh.status();
      std::memcpy(BlockData(*fresh), BlockData(old), block_bytes_);
      Unref(old);
      s.blocks[i] = *fresh;
    } else {
      auto fresh = AllocateBlock();
      if (!fresh.ok()) return fresh.status();
      s.blocks.push_back(*fresh);
    }
  }
  return Status::OK();
}

}  // namespace capsfusion::engine
