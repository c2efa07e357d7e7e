#include "report/caption_words.h"

#include <cstring>

#include "eval/fusion_words.h"

namespace capsfusion::report {
namespace {

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Decodes the UTF-8 character at s[i]; an invalid or truncated sequence is one
// byte with code point U+FFFD (a word character).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  const size_t len = c >= 0xF5 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
  if (len == 0 || i + len > s.size()) {
    *cp = 0xFFFD;
    return 1;
  }
  uint32_t v = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) {
      *cp = 0xFFFD;
      return 1;
    }
    v = (v << 6) | (d & 0x3F);
  }
  *cp = v;
  return len;
}

// Non-ASCII code points that separate words (docs/metrics.md, 2.1).
bool IsSeparatorCodePoint(uint32_t cp) {
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return true;
  if (cp >= 0x2000 && cp <= 0x2BFF) return true;
  if (cp >= 0x3000 && cp <= 0x303F) return true;
  if (cp >= 0xFE00 && cp <= 0xFE0F) return true;
  if (cp >= 0xFE30 && cp <= 0xFE6F) return true;
  if (cp == 0xFEFF) return true;
  if ((cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
      (cp >= 0xFF5B && cp <= 0xFF65)) {
    return true;
  }
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return true;
  return cp >= 0xE0000 && cp <= 0xE007F;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool IsAlnum(char c) { return IsDigit(c) || IsLetter(c); }

enum class Kind { kWord, kApostrophe, kSeparator };

Kind Classify(std::string_view s, size_t i, size_t* len) {
  const char c = s[i];
  if (static_cast<unsigned char>(c) < 0x80) {
    *len = 1;
    if (IsAlnum(c)) return Kind::kWord;
    return c == '\'' ? Kind::kApostrophe : Kind::kSeparator;
  }
  uint32_t cp;
  *len = DecodeUtf8(s, i, &cp);
  if (cp == 0x2019) return Kind::kApostrophe;
  return IsSeparatorCodePoint(cp) ? Kind::kSeparator : Kind::kWord;
}

// Length of an HTML entity (&name; or &#123;) at s[i], or 0.
size_t EntityLength(std::string_view s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && j - i <= 10 && (IsAlnum(s[j]) || s[j] == '#')) ++j;
  return j > i + 1 && j < s.size() && s[j] == ';' ? j - i + 1 : 0;
}

bool EndsSentence(char c) {
  return c == '.' || c == '!' || c == '?' || c == ':' || c == '|' || c == '\n' || c == '\r';
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
  buffer_.clear();
  buffer_.reserve(text.size());  // words never grow, so the views stay valid
  words_.clear();
  bool boundary = true;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    size_t len;
    if (Classify(text, i, &len) != Kind::kWord) {
      if (text[i] == '&') {
        const size_t e = EntityLength(text, i);
        if (e > 0) {
          i += e;
          continue;
        }
      }
      if (EndsSentence(text[i])) boundary = true;
      i += len;
      continue;
    }
    CaptionWord w;
    w.begin = static_cast<uint32_t>(i);
    w.sentence_start = boundary;
    boundary = false;
    const size_t start = buffer_.size();
    while (i < n) {
      const char c = text[i];
      size_t l;
      const Kind k = Classify(text, i, &l);
      if (k == Kind::kWord) {
        if (l == 1) {
          if (c >= 'A' && c <= 'Z') {
            w.capitalised = true;
            buffer_.push_back(static_cast<char>(c - 'A' + 'a'));
          } else {
            buffer_.push_back(c);
          }
          w.has_digit |= IsDigit(c);
          w.has_letter |= IsLetter(c);
        } else {
          buffer_.append(text.data() + i, l);
        }
        i += l;
        continue;
      }
      // An apostrophe followed by a letter stays inside ("o'neil", "men's").
      if (k == Kind::kApostrophe && i + l < n && IsLetter(text[i + l])) {
        buffer_.push_back('\'');
        i += l;
        continue;
      }
      // A decimal point or thousands separator between digits stays inside.
      if ((c == '.' || c == ',') && IsDigit(buffer_.back()) && i + 1 < n && IsDigit(text[i + 1])) {
        buffer_.push_back(c);
        ++i;
        continue;
      }
      break;
    }
    w.end = static_cast<uint32_t>(i);
    size_t size = buffer_.size() - start;
    if (size > 2 && buffer_.compare(buffer_.size() - 2, 2, "'s") == 0) {
      buffer_.resize(buffer_.size() - 2);
      size -= 2;
    }
    w.text = std::string_view(buffer_.data() + start, size);
    w.hash = WordHash(w.text);
    words_.push_back(w);
  }
  size_t lettered = 0, capitalised = 0;
  for (size_t k = 1; k < words_.size(); ++k) {
    if (!words_[k].has_letter) continue;
    ++lettered;
    capitalised += words_[k].capitalised ? 1 : 0;
  }
  title_case_ = lettered >= 2 && capitalised * 10 >= lettered * 6;
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
