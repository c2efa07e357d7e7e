#include "eval/fusion_words.h"

#include <algorithm>

#include "eval/ngrams.h"
#include "io/utf8.h"

namespace capsfusion::eval {
namespace {


// Non-ASCII code points that separate words: Latin-1 punctuation and
// symbols, general punctuation through dingbats and miscellaneous symbols,
// CJK punctuation, variation selectors, full-width punctuation, emoji, tags.
bool IsSeparatorCodePoint(uint32_t cp) {
  if (cp < 0xC0) return true;
  if (cp == 0xD7 || cp == 0xF7) return true;
  if (cp >= 0x2000 && cp <= 0x2BFF) return true;
  if (cp >= 0x3000 && cp <= 0x303F) return true;
  if (cp >= 0xFE00 && cp <= 0xFE0F) return true;
  if (cp >= 0xFE30 && cp <= 0xFE6F) return true;
  if (cp == 0xFEFF) return true;
  if ((cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
      (cp >= 0xFF3B && cp <= 0xFF40) || (cp >= 0xFF5B && cp <= 0xFF65)) {
    return true;
  }
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return true;
  if (cp >= 0xE0000 && cp <= 0xE007F) return true;
  return false;
}

inline bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
inline bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
inline bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

enum class Kind { kWord, kApostrophe, kSeparator };

Kind Classify(std::string_view s, size_t i, size_t* len) {
  const char c = s[i];
  if (static_cast<unsigned char>(c) < 0x80) {
    *len = 1;
    if (IsAsciiAlnum(c)) return Kind::kWord;
    return c == '\'' ? Kind::kApostrophe : Kind::kSeparator;
  }
  uint32_t cp;
  *len = io::DecodeUtf8At(s, i, &cp);
  if (cp == 0x2019) return Kind::kApostrophe;  // ’
  return IsSeparatorCodePoint(cp) ? Kind::kSeparator : Kind::kWord;
}

// Length of an HTML entity (&name; or &#123;) at s[i], or 0.
size_t EntityLength(std::string_view s, size_t i) {
  size_t j = i + 1;
  while (j < s.size() && j - i <= 10 && (IsAsciiAlnum(s[j]) || s[j] == '#')) ++j;
  if (j > i + 1 && j < s.size() && s[j] == ';') return j - i + 1;
  return 0;
}

bool EndsSentence(char c) {
  return c == '.' || c == '!' || c == '?' || c == ':' || c == '|' || c == '\n' || c == '\r';
}

}  // namespace

const std::vector<FusionWord>& WordTokenizer::Tokenize(std::string_view text) {
  buffer_.clear();
  buffer_.reserve(text.size());  // words never grow, so views stay valid
  words_.clear();
  bool boundary = true;
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    size_t len;
    const Kind kind = Classify(text, i, &len);
    if (kind != Kind::kWord) {
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
    FusionWord w;
    w.begin = i;
    w.sentence_start = boundary;
    boundary = false;
    const size_t begin = buffer_.size();
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
          w.has_digit |= IsAsciiDigit(c);
          w.has_letter |= IsAsciiLetter(c);
        } else {
          buffer_.append(text.data() + i, l);
        }
        i += l;
        continue;
      }
      // An apostrophe followed by a letter stays inside ("o'neil", "men's").
      if (k == Kind::kApostrophe && i + l < n && IsAsciiLetter(text[i + l])) {
        buffer_.push_back('\'');
        i += l;
        continue;
      }
      // A decimal point or thousands separator between digits stays inside.
      if ((c == '.' || c == ',') && IsAsciiDigit(buffer_.back()) && i + 1 < n && IsAsciiDigit(text[i + 1])) {
        buffer_.push_back(c);
        ++i;
        continue;
      }
      break;
    }
    w.end = i;
    size_t size = buffer_.size() - begin;
    if (size > 2 && buffer_.compare(buffer_.size() - 2, 2, "'s") == 0) {
      buffer_.resize(buffer_.size() - 2);  // possessive
      size -= 2;
    }
    w.text = std::string_view(buffer_.data() + begin, size);
    w.hash = HashBytes(w.text);
    words_.push_back(w);
  }
  size_t lettered = 0, capitalised = 0;
  for (size_t k = 1; k < words_.size(); ++k) {
    if (!words_[k].has_letter) continue;
    ++lettered;
    if (words_[k].capitalised) ++capitalised;
  }
  title_case_ = lettered >= 2 && capitalised * 10 >= lettered * 6;
  return words_;
}

bool IsProperWord(const FusionWord& w, bool title_case) {
  if (!w.capitalised || w.has_digit || IsStopword(w)) return false;
  return !((w.sentence_start || title_case) && IsCommonWord(w.text, w.hash));
}

void WordSet::Seal() {
  if (sorted_) return;
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    return a.hash != b.hash ? a.hash < b.hash : a.text < b.text;
  });
  items_.erase(std::unique(items_.begin(), items_.end(),
                           [](const Item& a, const Item& b) { return a.hash == b.hash && a.text == b.text; }),
               items_.end());
  sorted_ = true;
}

bool WordSet::Contains(const FusionWord& w) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), w.hash,
                             [](const Item& a, uint64_t h) { return a.hash < h; });
  for (; it != items_.end() && it->hash == w.hash; ++it) {
    if (it->text == w.text) return true;
  }
  return false;
}

}  // namespace capsfusion::eval
