// The checks behind CheckFusion, on captions tokenized once by the fusion
// metrics' word splitter (src/eval/fusion_words.h). Internal to src/qc;
// docs/qc.md defines each check.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/qc.h"
#include "eval/fusion_words.h"

namespace capsfusion::qc {

//! One caption with its words, distinct words and squashed text.
struct Caption {
  std::string_view text;
  const std::vector<eval::FusionWord>* words = nullptr;
  bool title_case = false;
  eval::WordSet set;  //!< distinct words
  //! The words joined without separators ("Todd-Snyder Fall" -> "toddsnyderfall"),
  //! so that "NorthFace" and "North Face" can find each other.
  std::string squashed;

  //! Tokenizes `text` with `tokenizer` (which must outlive the use of `words`).
  void Fill(eval::WordTokenizer* tokenizer, std::string_view text);
  //! Whether a word of another caption is in this one: the same word, or
  //! (for words of at least `min_squashed` bytes) inside the squashed text.
  bool Holds(const eval::FusionWord& w, size_t min_squashed) const;
};

//! The three captions of a check.
struct Triplet {
  Caption raw, synthetic, fused;
};

//! Distinct raw proper words (names) that the fused caption lacks.
size_t DroppedNames(const Triplet& t);
//! Distinct raw numbers (words with a digit) that the fused caption lacks;
//! "1,000" = "1000" and "2" = "two", "3rd" = "third" (up to twenty).
size_t DroppedNumbers(const Triplet& t);
//! Distinct proper words of the fused caption found in neither source.
size_t HallucinatedNames(const Triplet& t);
//! Whether some `n`-gram of the fused words occurs more than
//! 1 + max_repeats times, and more often than in either source.
bool HasRepetition(const Triplet& t, int n, int max_repeats);

//! Writing systems the language check tells apart.
enum class Script : uint8_t {
  kLatin, kGreek, kCyrillic, kArmenian, kHebrew, kArabic, kDevanagari, kBengali, kGurmukhi,
  kGujarati, kOriya, kTamil, kTelugu, kKannada, kMalayalam, kSinhala, kThai, kLao, kTibetan,
  kMyanmar, kGeorgian, kEthiopic, kKhmer, kHangul, kKana, kHan, kOther,
};
constexpr size_t kScriptCount = static_cast<size_t>(Script::kOther) + 1;
//! The script of a letter, or kOther for code points that are not letters
//! of a listed script (digits, punctuation, symbols, marks, emoji).
Script ScriptOf(uint32_t code_point);
const char* ScriptName(Script script);

//! Letters per script of a text (UTF-8; invalid bytes are skipped).
struct ScriptProfile {
  std::array<uint32_t, kScriptCount> letters{};
  uint32_t total = 0;  //!< letters of the listed scripts (kOther not counted)
  void Measure(std::string_view text);
  double Share(Script s) const { return total ? static_cast<double>(letters[static_cast<size_t>(s)]) / total : 0.0; }
};

//! Languages of the function-word signal.
enum class Language : uint8_t { kEnglish, kGerman, kFrench, kSpanish, kItalian, kPortuguese, kDutch };
constexpr size_t kLanguageCount = 7;
const char* LanguageName(Language language);
//! Function words of each language among `words` (a word may count for several).
std::array<uint32_t, kLanguageCount> FunctionWordHits(const std::vector<eval::FusionWord>& words);

//! Why the language check failed, for reports; empty when it passed.
struct LanguageVerdict {
  bool failed = false;
  std::string why;  //!< e.g. "script Han: 0.85 of fused letters, 0.00 / 0.00 in the sources"
};
LanguageVerdict CheckLanguage(const Triplet& t, const QcOptions& options);

}  // namespace capsfusion::qc
