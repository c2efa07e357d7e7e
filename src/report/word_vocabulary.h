// WordVocabulary: interns words as dense ids (0, 1, 2, ...) through an
// open-addressing table keyed by their 64-bit hash and length, keeping each
// word's text once. Two words are the same word when hash and length agree:
// the text is not compared (it would cost a cache miss per word), so a 64-bit
// collision, about one chance in 10^7 with 2 million distinct words, would
// merge two words. Internal to src/report.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::report {

class WordVocabulary {
 public:
  WordVocabulary();

  //! The id of `text` (hash `hash`), adding it when new.
  uint32_t Intern(std::string_view text, uint64_t hash);
  //! The id of `text`, or kNone.
  uint32_t Find(std::string_view text, uint64_t hash) const;
  //! The text of id `id`.
  std::string_view Text(uint32_t id) const;
  //! Words interned so far.
  size_t size() const { return offsets_.size() - 1; }
  //! Bytes held (table, texts, offsets): for memory reports.
  size_t memory_bytes() const;

  static constexpr uint32_t kNone = UINT32_MAX;

 private:
  struct Slot {
    uint64_t hash;
    uint32_t id;      // kNone when empty
    uint32_t length;  // bytes of the word (capped)
  };
  void Grow();
  bool Matches(const Slot& s, std::string_view text, uint64_t hash) const {
    return s.hash == hash && s.length == static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX));
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  std::string texts_;
  std::vector<uint64_t> offsets_;  // word i is texts_[offsets_[i], offsets_[i + 1])
};

}  // namespace capsfusion::report
