#include "parquet/json_text.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "io/utf8.h"

namespace capsfusion::parquet {

namespace {

// Bytes that need an escape inside a JSON string.
bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

void AppendFloatText(const char* b, const char* e, std::string* out) {
  bool plain_integer = true;
  for (const char* p = b; p < e; ++p) {
    if (*p == '.' || *p == 'e' || *p == 'E') plain_integer = false;
  }
  out->append(b, e);
  if (plain_integer) out->append(".0");
}

// True when one of the 8 bytes in `w` is below 0x20, '"' or '\\'.
inline bool AnyToEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t below_space = (w - 0x20 * kOnes) & ~w & kHigh;
  return (below_space | has_zero(w ^ ('"' * kOnes)) | has_zero(w ^ ('\\' * kOnes))) != 0;
}

}  // namespace

bool AppendJsonStringChecked(std::string_view s, std::string* out) {
  if (io::FindInvalidUtf8(s) != std::string_view::npos) return false;
  static const char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t run = 0;
  size_t i = 0;
  // Whole words without anything to escape are copied in one go.
  while (i + 8 <= s.size()) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (AnyToEscape(w)) break;
    i += 8;
  }
  for (; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(c)) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
  return true;
}

void AppendJsonInt(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendJsonUInt(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendJsonDouble(double v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  AppendFloatText(buf, r.ptr, out);
}

void AppendJsonFloat(float v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  AppendFloatText(buf, r.ptr, out);
}

void AppendJsonDecimal(__int128 unscaled, int scale, std::string* out) {
  bool negative = unscaled < 0;
  unsigned __int128 u = negative ? -static_cast<unsigned __int128>(unscaled) : static_cast<unsigned __int128>(unscaled);
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  if (negative) out->push_back('-');
  if (scale <= 0) {
    for (int i = n - 1; i >= 0; --i) out->push_back(digits[i]);
    for (int i = 0; i < -scale && i < 64; ++i) out->push_back('0');
    return;
  }
  if (n <= scale) {
    out->append("0.");
    for (int i = 0; i < scale - n; ++i) out->push_back('0');
    for (int i = n - 1; i >= 0; --i) out->push_back(digits[i]);
    return;
  }
  for (int i = n - 1; i >= 0; --i) {
    out->push_back(digits[i]);
    if (i == scale) out->push_back('.');
  }
}

}  // namespace capsfusion::parquet
