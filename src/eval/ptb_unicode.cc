// Character properties, Java-compatible lowercasing and UTF-8 <-> UTF-16.
#include "eval/ptb_unicode.h"

#include <algorithm>

namespace capsfusion::ptb {
namespace {

bool InRanges(const CharRange* r, size_t n, char16_t c) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (r[mid].hi < c) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < n && r[lo].lo <= c;
}

bool IsCased(char16_t c) { return InRanges(kCasedRanges, kCasedRangesSize, c); }
bool IsCaseIgnorable(char16_t c) {
  return InRanges(kCaseIgnorableRanges, kCaseIgnorableRangesSize, c);
}

// Java's final-sigma condition, approximated within one token: a cased letter
// before (skipping case-ignorable units) and none after.
bool IsFinalSigma(std::u16string_view s, size_t i) {
  bool before = false;
  for (size_t j = i; j > 0; --j) {
    char16_t c = s[j - 1];
    if (IsCaseIgnorable(c)) continue;
    before = IsCased(c);
    break;
  }
  if (!before) return false;
  for (size_t j = i + 1; j < s.size(); ++j) {
    char16_t c = s[j];
    if (IsCaseIgnorable(c)) continue;
    return !IsCased(c);
  }
  return true;
}

}  // namespace

bool IsLetter(char16_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return InRanges(kLetterRanges, kLetterRangesSize, c);
}
bool IsDigit(char16_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return InRanges(kDigitRanges, kDigitRangesSize, c);
}
bool IsUpper(char16_t c) {
  if (c < 0x80) return c >= 'A' && c <= 'Z';
  return InRanges(kUpperRanges, kUpperRangesSize, c);
}

char16_t SimpleLower(char16_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? static_cast<char16_t>(c + 32) : c;
  if (c == 0x03A3) return 0x03C3;
  const CasePair* end = kLowerPairs + kLowerPairsSize;
  const CasePair* it = std::lower_bound(kLowerPairs, end, c,
                                        [](const CasePair& p, char16_t v) { return p.from < v; });
  return (it != end && it->from == c) ? it->to : c;
}

int CaseVariants(char16_t c, char16_t out[3]) {
  int n = 0;
  if (c >= 'a' && c <= 'z') out[n++] = static_cast<char16_t>(c - 32);
  if (c >= 'A' && c <= 'Z') out[n++] = static_cast<char16_t>(c + 32);
  return n;
}

std::u16string JavaLowerEnglish(std::u16string_view s) {
  std::u16string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char16_t c = s[i];
    if (c < 0x80) {
      out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char16_t>(c + 32) : c);
    } else if (c == 0x0130) {
      out.push_back(u'i');
      out.push_back(0x0307);
    } else if (c == 0x03A3) {
      out.push_back(IsFinalSigma(s, i) ? 0x03C2 : 0x03C3);
    } else {
      out.push_back(SimpleLower(c));
    }
  }
  return out;
}

std::u16string Utf8ToUtf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c < 0x80) {
      out.push_back(static_cast<char16_t>(c));
      ++i;
      continue;
    }
    // Length and the allowed range of the second byte (Unicode Table 3-7).
    int len = 0;
    unsigned lo2 = 0x80, hi2 = 0xBF, cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2; cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3; cp = c & 0x0F;
      if (c == 0xE0) lo2 = 0xA0;
      if (c == 0xED) hi2 = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4; cp = c & 0x07;
      if (c == 0xF0) lo2 = 0x90;
      if (c == 0xF4) hi2 = 0x8F;
    }
    if (len == 0) {  // stray continuation byte or invalid lead byte
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    size_t j = i + 1;
    bool ok = true;
    for (int k = 1; k < len; ++k, ++j) {
      unsigned lo = (k == 1) ? lo2 : 0x80, hi = (k == 1) ? hi2 : 0xBF;
      if (j >= n || p[j] < lo || p[j] > hi) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (p[j] & 0x3F);
    }
    if (!ok) {  // maximal ill-formed prefix becomes one U+FFFD
      out.push_back(0xFFFD);
      i = j;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(cp));
    }
    i = j;
  }
  return out;
}

void AppendUtf8(std::u16string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned c = s[i];
    if (c >= 0xD800 && c <= 0xDBFF && i + 1 < s.size() && s[i + 1] >= 0xDC00 &&
        s[i + 1] <= 0xDFFF) {
      c = 0x10000 + ((c - 0xD800) << 10) + (s[i + 1] - 0xDC00);
      ++i;
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (c >> 12)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (c >> 18)));
      out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
}

}  // namespace capsfusion::ptb
