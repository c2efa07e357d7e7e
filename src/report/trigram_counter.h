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
#include <unordered_map>
#include <vector>

namespace capsfusion::report {

class TrigramCounter {
 public:
  using Trigram = std::array<uint32_t, 3>;  //!< word ids

  explicit TrigramCounter(size_t capacity = 1 << 18) : capacity_(capacity < 16 ? 16 : capacity) {}

  //! Counts one occurrence of `t`.
  void Add(const Trigram& t);

  struct Entry {
    Trigram words;
    uint64_t count;
  };
  //! The `n` most frequent trigrams, most frequent first (ties: smaller ids first).
  std::vector<Entry> Top(size_t n) const;
  //! 0 while counts are exact; otherwise the most any count may be under its true value.
  uint64_t error_bound() const { return error_; }
  //! Occurrences added.
  uint64_t total() const { return total_; }

 private:
  struct Hash {
    size_t operator()(const Trigram& t) const {
      uint64_t h = (static_cast<uint64_t>(t[0]) << 32 | t[1]) * 0x9E3779B97F4A7C15ULL;
      h ^= (h >> 29) + static_cast<uint64_t>(t[2]) * 0xC2B2AE3D27D4EB4FULL;
      return static_cast<size_t>(h ^ (h >> 32));
    }
  };
  void Prune();

  size_t capacity_;
  std::unordered_map<Trigram, uint64_t, Hash> counts_;
  uint64_t error_ = 0;
  uint64_t total_ = 0;
};

}  // namespace capsfusion::report
