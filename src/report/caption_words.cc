#include "report/caption_words.h"

#include <cstring>

#include "eval/fusion_words.h"

namespace capsfusion::report {
namespace {

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

}  // namespace

uint64_t WordHash(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xA0761D6478BD642FULL);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = Mix(h ^ v, 0xE7037ED1A0B428DBULL);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = Mix(h ^ v, 0x8EBC6AF09C88C6E3ULL);
  }
  return Mix(h, 0x589965CC75374CC3ULL);
}

const std::vector<CaptionWord>& CaptionWordSplitter::Split(std::string_view text) {
  if (text.size() > UINT32_MAX) text = text.substr(0, UINT32_MAX);
  // The fusion metrics' own splitter, so stats, the viewer and the metrics agree.
  const std::vector<eval::FusionWord>& words = tokenizer_.Tokenize(text);
  words_.clear();
  words_.reserve(words.size());
  for (const eval::FusionWord& f : words) {
    CaptionWord w;
    w.begin = static_cast<uint32_t>(f.begin);
    w.end = static_cast<uint32_t>(f.end);
    w.text = f.text;
    w.hash = WordHash(f.text);
    w.capitalised = f.capitalised;
    w.sentence_start = f.sentence_start;
    w.has_digit = f.has_digit;
    w.has_letter = f.has_letter;
    words_.push_back(w);
  }
  title_case_ = tokenizer_.title_case();
  return words_;
}

// The word lists are the fusion metrics' own (src/eval/fusion_lexicon.cc).
bool IsStopword(std::string_view lower) { return eval::IsStopword(lower); }

bool IsCommonWord(std::string_view lower) { return eval::IsCommonWord(lower); }

bool IsProperWord(const CaptionWord& w, bool title_case) {
  if (!w.capitalised || w.has_digit) return false;
  return IsProperWord(w, title_case, IsStopword(w.text), IsCommonWord(w.text));
}

}  // namespace capsfusion::report
