// The simple word tokenizer and word lists behind the fusion metrics
// (docs/metrics.md, "Words"). Internal to src/eval.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::eval {

//! One word of a caption.
struct FusionWord {
  size_t begin = 0;             //!< byte offset of the word's first byte in the text
  size_t end = 0;               //!< byte offset one past its last byte (possessive included)
  std::string_view text;        //!< lowercased, "’" -> "'", possessive "'s" removed
  uint64_t hash = 0;            //!< HashBytes(text)
  bool capitalised = false;     //!< an ASCII capital starts it or follows inside it
  bool sentence_start = false;  //!< first word, or first after . ! ? : | or a line break
  bool has_digit = false;
  bool has_letter = false;      //!< has an ASCII letter
};

//! Splits a caption into words. A word is a run of ASCII letters and digits
//! and non-ASCII characters other than punctuation, symbols and spaces; an
//! apostrophe between a word character and a letter, and '.' or ',' between
//! two digits, stay inside. HTML entities (&quot; &#39; ...) separate words.
class WordTokenizer {
 public:
  //! Tokenizes `text`; the words stay valid until the next call.
  const std::vector<FusionWord>& Tokenize(std::string_view text);
  const std::vector<FusionWord>& words() const { return words_; }
  //! Whether the last text was title-cased: after its first word, at least 2
  //! words with a letter and at least 60% of those capitalised.
  bool title_case() const { return title_case_; }

 private:
  std::string buffer_;
  std::vector<FusionWord> words_;
  bool title_case_ = false;
};

//! English function words (lowercase). Words that are not stopwords are
//! content words.
bool IsStopword(std::string_view lower);
//! The same with the word's HashBytes value already known.
bool IsStopword(std::string_view lower, uint64_t hash);
inline bool IsStopword(const FusionWord& w) { return IsStopword(w.text, w.hash); }

//! Frequent English words and everyday caption vocabulary (lowercase): such
//! a word capitalised only at a sentence start or in a title-cased caption is
//! not counted as a proper word.
bool IsCommonWord(std::string_view lower);
bool IsCommonWord(std::string_view lower, uint64_t hash);

//! Whether a word counts as a proper word (see docs/metrics.md).
bool IsProperWord(const FusionWord& w, bool title_case);

//! Distinct words with fast membership tests.
class WordSet {
 public:
  void Clear() { items_.clear(); sorted_ = true; }
  void Add(const FusionWord& w) {
    items_.push_back(Item{w.hash, w.text});
    sorted_ = false;
  }
  //! Sorts and removes duplicates; call after the last Add.
  void Seal();
  bool Contains(const FusionWord& w) const;
  size_t size() const { return items_.size(); }

 private:
  struct Item {
    uint64_t hash;
    std::string_view text;
  };
  std::vector<Item> items_;
  bool sorted_ = true;
};

}  // namespace capsfusion::eval
