// CaptionWords: the words of a caption with their byte spans, split by the
// word rules of the fusion metrics (docs/metrics.md, section 2.1), so that
// `capsfusion stats`, the viewer's colouring and the fusion metrics agree on
// what a word is. Internal to src/report and src/view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "eval/fusion_words.h"

namespace capsfusion::report {

//! One word of a caption.
struct CaptionWord {
  uint32_t begin = 0;           //!< byte offset of the word's first byte in the caption
  uint32_t end = 0;             //!< byte offset one past its last byte (possessive included)
  std::string_view text;        //!< lowercased, "’" -> "'", possessive "'s" removed
  uint64_t hash = 0;            //!< WordHash(text)
  bool capitalised = false;     //!< has an ASCII capital
  bool sentence_start = false;  //!< first word, or first after . ! ? : | or a line break
  bool has_digit = false;       //!< has an ASCII digit
  bool has_letter = false;      //!< has an ASCII letter
};

//! A fast 64-bit hash of a word's bytes (not stable across versions).
uint64_t WordHash(std::string_view text);

//! Splits captions into words; reuse one per thread (it keeps its buffers).
class CaptionWordSplitter {
 public:
  //! Splits `text`; the words (and their `text` views) stay valid until the
  //! next call. Captions over 4 GiB are cut there.
  const std::vector<CaptionWord>& Split(std::string_view text);
  const std::vector<CaptionWord>& words() const { return words_; }
  //! Whether the last caption was title-cased: after its first word, at least
  //! 2 words with a letter and at least 60% of those capitalised.
  bool title_case() const { return title_case_; }

 private:
  eval::WordTokenizer tokenizer_;
  std::vector<CaptionWord> words_;
  bool title_case_ = false;
};

//! English function words (lowercase input); every other word is a content word.
bool IsStopword(std::string_view lower);

//! Frequent English and caption words (lowercase input), see docs/metrics.md.
bool IsCommonWord(std::string_view lower);

//! Whether `w` is a proper word (a name): a capitalised content word without a
//! digit, unless it is a common English word capitalised only because it
//! starts a sentence or the caption is title-cased (docs/metrics.md, 2.1).
bool IsProperWord(const CaptionWord& w, bool title_case);
//! The same with the word's classes already known (IsStopword, IsCommonWord).
inline bool IsProperWord(const CaptionWord& w, bool title_case, bool stopword, bool common) {
  if (!w.capitalised || w.has_digit || stopword) return false;
  return !((w.sentence_start || title_case) && common);
}

//! Whether `w` counts as a number: a content word with an ASCII digit.
inline bool IsNumberWord(const CaptionWord& w) { return w.has_digit; }

}  // namespace capsfusion::report
