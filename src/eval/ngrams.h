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
#include <string>
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

//! Maps strings to dense ids 0, 1, 2, ... Keeps its own copy of each distinct
//! string, packed together so that comparisons stay in cache.
class TokenInterner {
 public:
  TokenInterner();
  uint32_t Intern(std::string_view token);
  size_t size() const { return offsets_.size() - 1; }

 private:
  void Grow();
  // Per slot: the high 32 bits of the hash, then id + 1 (0 = empty), so most
  // mismatches are seen without touching the token bytes.
  std::vector<uint64_t> slots_;
  std::vector<uint64_t> offsets_;  // token i is bytes_[offsets_[i], offsets_[i + 1])
  std::string bytes_;
  uint64_t mask_ = 0;
  std::string_view Token(uint32_t id) const {
    return std::string_view(bytes_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
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

//! Ids of all n-grams seen: (prefix id, token id) -> dense id. Open
//! addressing with the key stored in the slot, so a probe touches one cache
//! line; callers that look up many keys can prefetch their slots first.
class NGramTable {
 public:
  //! Prefix id that marks a unigram.
  static constexpr uint32_t kNoPrefix = 0xFFFFFFFFu;
  //! Ids at or above this are local to one NGramCounter::Count call (n-grams
  //! that are not in the table when counting without insertion).
  static constexpr uint32_t kLocalBase = 0x80000000u;

  static uint64_t Key(uint32_t prefix, uint32_t token) {
    return (static_cast<uint64_t>(prefix) << 32) | token;
  }
  static uint64_t Hash(uint64_t key) {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ULL;
    key ^= key >> 33;
    return key;
  }

  NGramTable();
  //! Hints the cache about the slot a later lookup of `hash` starts at.
  void Prefetch(uint64_t hash) const { __builtin_prefetch(&slots_[hash & mask_]); }
  //! Id of the n-gram, inserting it when new.
  uint32_t Intern(uint64_t key, uint64_t hash);
  uint32_t Intern(uint32_t prefix, uint32_t token) { return Intern(Key(prefix, token), Hash(Key(prefix, token))); }
  //! Id of the n-gram, or kNoPrefix when absent.
  uint32_t Find(uint64_t key, uint64_t hash) const;
  uint32_t Find(uint32_t prefix, uint32_t token) const { return Find(Key(prefix, token), Hash(Key(prefix, token))); }
  size_t size() const { return size_; }
  //! Forgets every n-gram (keeps the capacity).
  void Clear();

 private:
  struct Slot {
    uint64_t key;
    uint32_t id_plus_one;  // 0: empty
    uint32_t unused;
  };
  void Grow();
  std::vector<Slot> slots_;
  size_t size_ = 0;
  uint64_t mask_ = 0;
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

//! Read-only view of n-gram counts (of an NGramCounts or of stored entries).
struct NGramView {
  const NGramCount* entries = nullptr;
  uint32_t size = 0;  //!< number of entries
  std::array<uint32_t, kMaxOrder + 1> begin{};
  uint32_t length = 0;
};

inline NGramView ViewOf(const NGramCounts& c) {
  return NGramView{c.entries.data(), static_cast<uint32_t>(c.entries.size()), c.begin, c.length};
}

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
  std::vector<uint64_t> keys_, hashes_;  // per position of the current order
  NGramTable local_;                  // n-grams missing from the table (no-insert mode)
};

}  // namespace capsfusion::eval
