#include "io/caption_text.h"

#include <cstdint>
#include <cstring>

#include "io/utf8.h"

namespace capsfusion::io {

namespace {

// Length of the whitespace character at p (valid UTF-8 assumed), or 0.
size_t WhitespaceLength(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c <= 0x20 || c == 0x7F) return 1;
  if (c < 0xC2) return 0;
  size_t left = static_cast<size_t>(end - p);
  if (c == 0xC2 && left >= 2 && (p[1] <= 0x9F || p[1] == 0xA0)) return 2;  // C1, NBSP
  if (left < 3) return 0;
  if (c == 0xE1 && p[1] == 0x9A && p[2] == 0x80) return 3;  // U+1680
  if (c == 0xE2 && p[1] == 0x80) {
    if (p[2] <= 0x8A || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF) return 3;
    return 0;
  }
  if (c == 0xE2 && p[1] == 0x81 && p[2] == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && p[1] == 0x80 && p[2] == 0x80) return 3;  // U+3000
  if (c == 0xEF && p[1] == 0xBB && p[2] == 0xBF) return 3;  // U+FEFF
  return 0;
}

struct NamedEntity {
  const char* name;
  uint32_t cp;
};

// Named references seen in web alt-text; the rest are left as written.
constexpr NamedEntity kNamed[] = {
    {"quot", '"'},     {"amp", '&'},      {"apos", '\''},    {"lt", '<'},
    {"gt", '>'},       {"nbsp", 0xA0},    {"QUOT", '"'},     {"AMP", '&'},
    {"LT", '<'},       {"GT", '>'},       {"ndash", 0x2013}, {"mdash", 0x2014},
    {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
    {"laquo", 0xAB},   {"raquo", 0xBB},   {"hellip", 0x2026}, {"copy", 0xA9},
    {"reg", 0xAE},     {"trade", 0x2122}, {"deg", 0xB0},     {"bull", 0x2022},
    {"middot", 0xB7},  {"times", 0xD7},   {"euro", 0x20AC},  {"pound", 0xA3},
};

// HTML maps numeric references 128..159 through Windows-1252.
constexpr uint16_t kWindows1252[32] = {
    0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
    0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

// Decodes the reference starting at in[0] == '&'. Returns its length
// (including '&' and ';') and sets *cp, or 0 when it is not one we decode.
size_t DecodeReference(std::string_view in, uint32_t* cp) {
  size_t semi = in.find(';', 1);
  if (semi == std::string_view::npos || semi > 12 || semi < 2) return 0;
  std::string_view body = in.substr(1, semi - 1);
  if (body[0] == '#') {
    bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > (hex ? 6u : 7u)) return 0;
    uint32_t v = 0;
    for (char ch : digits) {
      int d;
      if (ch >= '0' && ch <= '9') {
        d = ch - '0';
      } else if (hex && ch >= 'a' && ch <= 'f') {
        d = ch - 'a' + 10;
      } else if (hex && ch >= 'A' && ch <= 'F') {
        d = ch - 'A' + 10;
      } else {
        return 0;
      }
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(d);
    }
    if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    if (v >= 0x80 && v <= 0x9F) v = kWindows1252[v - 0x80];
    *cp = v;
    return semi + 1;
  }
  for (const NamedEntity& e : kNamed) {
    if (body == e.name) {
      *cp = e.cp;
      return semi + 1;
    }
  }
  return 0;
}

}  // namespace

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;

// True when `in` needs no change: no leading, trailing or doubled space and no
// whitespace other than ASCII space. Eight bytes at a time; may say false for
// some normalised text (then the slow path does the same work).
bool IsNormalized(std::string_view in) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  if (p == end) return true;
  if (*p == ' ' || end[-1] == ' ') return false;
  bool prev_space = false;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t del = w ^ (kOnes * 0x7F);
    if ((((w - kOnes * 0x20) & ~w) | ((del - kOnes) & ~del)) & kHigh) return false;  // < 0x20 or DEL
    if (w & kHigh) {
      for (int i = 0; i < 8; ++i) {
        if (p[i] >= 0xC2 && WhitespaceLength(p + i, end) != 0) return false;
      }
    }
    uint64_t sp = w ^ (kOnes * ' ');
    sp = (sp - kOnes) & ~sp & kHigh;  // 0x80 in (at least) each space byte
    if ((sp & (sp << 8)) != 0 || (prev_space && (sp & 0x80) != 0)) return false;
    prev_space = (sp >> 63) != 0;
    p += 8;
  }
  for (; p < end; ++p) {
    unsigned char c = *p;
    if (c == ' ') {
      if (prev_space) return false;
      prev_space = true;
      continue;
    }
    prev_space = false;
    if (c < 0x20 || c == 0x7F || (c >= 0xC2 && WhitespaceLength(p, end) != 0)) return false;
  }
  return true;
}

}  // namespace

void NormalizeWhitespace(std::string_view in, std::string* out) {
  if (IsNormalized(in)) {
    out->append(in.data(), in.size());
    return;
  }
  // The result is never longer than the input: write in place, then trim.
  const size_t base = out->size();
  out->resize(base + in.size());
  char* const first = &(*out)[0] + base;
  char* dst = first;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  bool pending_space = false;
  while (p < end) {
    const unsigned char c = *p;
    if (c > 0x20 && c < 0x7F) {
      if (pending_space) {
        if (dst != first) *dst++ = ' ';
        pending_space = false;
      }
      *dst++ = static_cast<char>(c);
      ++p;
      continue;
    }
    size_t ws = WhitespaceLength(p, end);
    if (ws != 0) {
      pending_space = true;
      p += ws;
      continue;
    }
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (n > static_cast<size_t>(end - p)) n = static_cast<size_t>(end - p);
    if (pending_space) {
      if (dst != first) *dst++ = ' ';
      pending_space = false;
    }
    std::memcpy(dst, p, n);
    dst += n;
    p += n;
  }
  out->resize(base + static_cast<size_t>(dst - first));
}

void DecodeHtmlEntities(std::string_view in, std::string* out) {
  size_t i = 0;
  while (i < in.size()) {
    size_t amp = in.find('&', i);
    if (amp == std::string_view::npos) {
      out->append(in.data() + i, in.size() - i);
      return;
    }
    out->append(in.data() + i, amp - i);
    uint32_t cp = 0;
    size_t n = DecodeReference(in.substr(amp), &cp);
    if (n == 0) {
      out->push_back('&');
      i = amp + 1;
    } else {
      AppendUtf8(cp, out);
      i = amp + n;
    }
  }
}

}  // namespace capsfusion::io
