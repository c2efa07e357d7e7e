// Token splitting, token interning and insertion-ordered n-gram counting for
// the caption scorers (BLEU, CIDEr-D). Internal to src/eval.
//
// pycocoevalcap keeps n-gram counts in Python dicts, which iterate in
// insertion order: order 1 first, then 2, 3, 4, each left to right with an
// n-gram placed at its first occurrence. CIDEr sums its norms and dot products
// in that order, so bit-exact scores need the same order. Here an n-gram is an
// integer id: a unigram is keyed by its token id, an n-gram of order k > 1 by
// (id of its first k-1 tokens, last token id). Ids are equal exactly when the
// token sequences are equal, and hashing two integers is far cheaper than
// hashing strings.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace capsfusion::eval {

//! Highest n-gram order the scorers use (BLEU-4, CIDEr-D n=4).
inline constexpr int kMaxOrder = 4;

//! Byte length of the whitespace character starting at s[i] as Python's
//! str.isspace() sees it (any Unicode whitespace, U+00A0 included), or 0.
size_t PyWhitespaceLength(std::string_view s, size_t i);

//! Python's `s.split()`: pieces between runs of Unicode whitespace, none empty.
//! Returns true when `s.split(' ')` would give exactly the same pieces (no
//! whitespace other than single ' ' between non-empty pieces), so callers can
//! reuse the pieces for ROUGE-L.
bool SplitPyWhitespace(std::string_view s, std::vector<std::string_view>* out);

//! Python's `s.split(' ')`: keeps empty pieces; "" gives one empty piece.
void SplitOnSpace(std::string_view s, std::vector<std::string_view>* out);

//! 64-bit hash of bytes (deterministic on every platform).
uint64_t HashBytes(std::string_view s);

//! Maps strings to dense ids 0, 1, 2, ... The strings are not copied: they must
//! outlive the interner.
class TokenInterner {
 public:
  TokenInterner();
  uint32_t Intern(std::string_view token);
  size_t size() const { return tokens_.size(); }

 private:
  void Grow();
  std::vector<uint32_t> slots_;  // id + 1, 0 = empty
  std::vector<std::string_view> tokens_;
  std::vector<uint64_t> hashes_;
  uint64_t mask_ = 0;
};

//! A small open-addressing map from 32-bit ids to 32-bit values that is
//! cleared in O(1) between uses (generation stamps).
class SmallIdMap {
 public:
  //! Clears the map and makes room for `expected` keys without rehashing.
  void Reset(size_t expected);
  //! The value of `key`, or nullptr.
  uint32_t* Find(uint32_t key);
  //! The value slot of `key`; a new key gets `value`, and *inserted says which.
  uint32_t* Insert(uint32_t key, uint32_t value, bool* inserted);

 private:
  struct Slot {
    uint32_t key, value, stamp;
  };
  void Rehash(size_t capacity);
  std::vector<Slot> slots_;
  uint32_t mask_ = 0, stamp_ = 0, used_ = 0;
};

//! Ids of all n-grams seen: (prefix id, token id) -> dense id.
class NGramTable {
 public:
  //! Prefix id that marks a unigram.
  static constexpr uint32_t kNoPrefix = 0xFFFFFFFFu;
  //! Ids at or above this are local to one NGramCounter::Count call (n-grams
  //! that are not in the table when counting without insertion).
  static constexpr uint32_t kLocalBase = 0x80000000u;

  NGramTable();
  //! Id of the n-gram, inserting it when new.
  uint32_t Intern(uint32_t prefix, uint32_t token);
  //! Id of the n-gram, or kNoPrefix when absent.
  uint32_t Find(uint32_t prefix, uint32_t token) const;
  size_t size() const { return keys_.size(); }
  //! Forgets every n-gram (keeps the capacity).
  void Clear();

 private:
  static uint64_t Key(uint32_t prefix, uint32_t token) {
    return (static_cast<uint64_t>(prefix) << 32) | token;
  }
  void Grow();
  std::vector<uint32_t> slots_;  // id + 1, 0 = empty
  std::vector<uint64_t> keys_;
  uint64_t mask_ = 0;
  int shift_ = 0;
};

//! One distinct n-gram of a caption and how often it occurs there.
struct NGramCount {
  uint32_t id;
  uint32_t count;
};

//! The n-gram counts of one caption in pycocoevalcap's dict order.
struct NGramCounts {
  std::vector<NGramCount> entries;
  //! Entries of order k (1..4) are [begin[k-1], begin[k]).
  std::array<uint32_t, kMaxOrder + 1> begin{};
  uint32_t length = 0;  //!< number of tokens
};

//! Counts n-grams of orders 1..4. Reuses its buffers between calls.
class NGramCounter {
 public:
  //! Counts the n-grams of `tokens`. With `insert`, new n-grams get table ids;
  //! without it, n-grams missing from the table get ids >= kLocalBase that are
  //! only meaningful within this call's result.
  void Count(const uint32_t* tokens, size_t n, bool insert, NGramTable* table, NGramCounts* out);

 private:
  SmallIdMap index_;                 // id -> entry index
  std::vector<uint32_t> prev_, cur_;  // ids of the previous / current order per position
  NGramTable local_;                  // n-grams missing from the table (no-insert mode)
};

}  // namespace capsfusion::eval
