// TrigramCounter: the most frequent word trigrams of a corpus in bounded
// memory. Each caption adds each of its distinct trigrams once (so a count is
// the number of captions holding the trigram). Up to `capacity` trigrams are
// counted exactly; past that the counter keeps the frequent ones with the
// Misra-Gries summary, and counts become lower bounds off by at most
// error_bound(). Internal to src/report.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace capsfusion::report {

class TrigramCounter {
 public:
  using Trigram = std::array<uint32_t, 3>;  //!< word ids

  explicit TrigramCounter(size_t capacity = 1 << 15);

  //! Counts one occurrence of `t`.
  void Add(const Trigram& t) { Add(t, Hash(t)); }
  //! The same with Hash(t) already known; `n` occurrences at once.
  void Add(const Trigram& t, uint64_t h, uint32_t n = 1) {
    total_ += n;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.count == 0) {
        s = Slot{t, n};
        if (++size_ >= limit_) Prune();
        return;
      }
      if (s.words[0] == t[0] && s.words[1] == t[1] && s.words[2] == t[2]) {
        if (s.count > UINT32_MAX / 2 - n) {
          s.count = UINT32_MAX / 2;
          Prune();  // keeps every count representable
        } else {
          s.count += n;
        }
        return;
      }
    }
  }

  //! Adds the counts of `other`, whose word ids map to this counter's
  //! through `remap` (other's id i is remap[i] here). Error bounds add up.
  void Merge(const TrigramCounter& other, const std::vector<uint32_t>& remap);

  struct Entry {
    Trigram words;
    uint64_t count;
  };
  //! The `n` most frequent trigrams, most frequent first (ties: smaller ids first).
  std::vector<Entry> Top(size_t n) const;
  //! Starts loading the slot where a trigram of hash `h` goes, so that a run
  //! of Add() calls overlaps its cache misses.
  void Prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }

  //! A 64-bit hash of a trigram.
  static uint64_t Hash(const Trigram& t) {
    uint64_t h = (static_cast<uint64_t>(t[0]) << 32 | t[1]) * 0x9E3779B97F4A7C15ULL;
    h ^= (h >> 29) + static_cast<uint64_t>(t[2]) * 0xC2B2AE3D27D4EB4FULL;
    h ^= h >> 32;
    return h * 0xD6E8FEB86659FD93ULL ^ (h >> 28);
  }
  //! 0 while counts are exact; otherwise the most any count may be under its true value.
  uint64_t error_bound() const { return error_; }
  //! Occurrences added.
  uint64_t total() const { return total_; }

 private:
  // Open addressing, linear probing; count 0 marks an empty slot.
  struct Slot {
    Trigram words;
    uint32_t count;  // pruning keeps counts far below 2^32 only with a small capacity: see Add()
  };
  void Prune();

  size_t capacity_;
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  size_t limit_ = 0;  // Prune() when size_ reaches it (2 * capacity_, load 1/2)
  uint64_t error_ = 0;
  uint64_t total_ = 0;
};

}  // namespace capsfusion::report
