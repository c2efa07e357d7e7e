#include "io/json_scanner.h"

#include <cstdio>
#include <cstring>

#include "io/utf8.h"

namespace capsfusion::io {

namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHigh = 0x8080808080808080ULL;

// True when one of the eight bytes in `w` needs a look in a string body:
// '"', '\\', a control character or a non-ASCII byte.
inline bool StringWordIsSpecial(uint64_t w) {
  uint64_t quote = w ^ (kOnes * '"');
  uint64_t slash = w ^ (kOnes * '\\');
  uint64_t t = ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) |
               ((w - kOnes * 0x20) & ~w) | w;
  return (t & kHigh) != 0;
}

inline bool IsHex(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

inline int HexValue(unsigned char c) {
  if (c <= '9') return c - '0';
  if (c >= 'a') return c - 'a' + 10;
  return c - 'A' + 10;
}

inline bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

}  // namespace

const char* JsonTypeName(JsonType type) {
  switch (type) {
    case JsonType::kNull: return "null";
    case JsonType::kBool: return "boolean";
    case JsonType::kNumber: return "number";
    case JsonType::kString: return "string";
    case JsonType::kArray: return "array";
    case JsonType::kObject: return "object";
  }
  return "value";
}

JsonScanner::Result JsonScanner::Scan(std::string_view text, size_t* end, JsonType* type) {
  base_ = reinterpret_cast<const unsigned char*>(text.data());
  p_ = base_;
  end_ = base_ + text.size();
  truncated_ = false;
  error_is_utf8_ = false;
  error_.clear();
  error_offset_ = 0;
  members_.clear();
  SkipSpace();
  if (p_ >= end_) {
    Truncated();
    return Result::kTruncated;
  }
  bool ok;
  bool escaped = false;
  if (*p_ == '{') {
    *type = JsonType::kObject;
    ok = Object(1, true);
  } else {
    ok = Value(1, type, &escaped);
  }
  if (ok) {
    *end = static_cast<size_t>(p_ - base_);
    return Result::kOk;
  }
  return truncated_ ? Result::kTruncated : Result::kError;
}

void JsonScanner::SkipSpace() {
  while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
}

bool JsonScanner::Fail(const char* message) {
  error_ = message;
  error_offset_ = static_cast<size_t>(p_ - base_);
  return false;
}

bool JsonScanner::Truncated() {
  truncated_ = true;
  return Fail("unexpected end of input");
}

bool JsonScanner::Value(int depth, JsonType* type, bool* escaped) {
  if (depth > kMaxDepth) return Fail("nesting deeper than 256 levels");
  switch (*p_) {
    case '{':
      *type = JsonType::kObject;
      return Object(depth, false);
    case '[':
      *type = JsonType::kArray;
      return Array(depth);
    case '"':
      *type = JsonType::kString;
      return String(escaped);
    case 't':
      *type = JsonType::kBool;
      return Literal("true");
    case 'f':
      *type = JsonType::kBool;
      return Literal("false");
    case 'n':
      *type = JsonType::kNull;
      return Literal("null");
    default:
      if (*p_ == '-' || IsDigit(*p_)) {
        *type = JsonType::kNumber;
        return Number();
      }
      if (*p_ >= 0x80) return Fail("unexpected non-ASCII byte outside a string");
      char msg[64];
      if (*p_ < 0x20) {
        std::snprintf(msg, sizeof msg, "unexpected control byte 0x%02x", *p_);
      } else {
        std::snprintf(msg, sizeof msg, "unexpected character '%c'", *p_);
      }
      error_ = msg;
      error_offset_ = static_cast<size_t>(p_ - base_);
      return false;
  }
}

bool JsonScanner::Object(int depth, bool top) {
  ++p_;  // '{'
  SkipSpace();
  if (p_ >= end_) return Truncated();
  if (*p_ == '}') {
    ++p_;
    return true;
  }
  for (;;) {
    if (*p_ != '"') return Fail("expected a string key in an object");
    const unsigned char* key_begin = p_ + 1;
    bool key_escaped = false;
    if (!String(&key_escaped)) return false;
    const unsigned char* key_end = p_ - 1;
    SkipSpace();
    if (p_ >= end_) return Truncated();
    if (*p_ != ':') return Fail("expected ':' after an object key");
    ++p_;
    SkipSpace();
    if (p_ >= end_) return Truncated();
    const unsigned char* value_begin = p_;
    JsonType type;
    bool value_escaped = false;
    if (!Value(depth + 1, &type, &value_escaped)) return false;
    if (top) {
      members_.push_back(JsonMember{
          std::string_view(reinterpret_cast<const char*>(key_begin),
                           static_cast<size_t>(key_end - key_begin)),
          std::string_view(reinterpret_cast<const char*>(value_begin),
                           static_cast<size_t>(p_ - value_begin)),
          type, key_escaped, value_escaped});
    }
    SkipSpace();
    if (p_ >= end_) return Truncated();
    if (*p_ == ',') {
      ++p_;
      SkipSpace();
      if (p_ >= end_) return Truncated();
      continue;
    }
    if (*p_ == '}') {
      ++p_;
      return true;
    }
    return Fail("expected ',' or '}' after an object member");
  }
}

bool JsonScanner::Array(int depth) {
  ++p_;  // '['
  SkipSpace();
  if (p_ >= end_) return Truncated();
  if (*p_ == ']') {
    ++p_;
    return true;
  }
  for (;;) {
    JsonType type;
    bool escaped = false;
    if (!Value(depth + 1, &type, &escaped)) return false;
    SkipSpace();
    if (p_ >= end_) return Truncated();
    if (*p_ == ',') {
      ++p_;
      SkipSpace();
      if (p_ >= end_) return Truncated();
      continue;
    }
    if (*p_ == ']') {
      ++p_;
      return true;
    }
    return Fail("expected ',' or ']' after an array element");
  }
}

bool JsonScanner::String(bool* escaped) {
  ++p_;  // opening quote
  for (;;) {
    while (end_ - p_ >= 8) {
      uint64_t w;
      std::memcpy(&w, p_, 8);
      if (StringWordIsSpecial(w)) break;
      p_ += 8;
    }
    if (p_ >= end_) return Truncated();
    const unsigned char c = *p_;
    if (c == '"') {
      ++p_;
      return true;
    }
    if (c == '\\') {
      *escaped = true;
      if (end_ - p_ < 2) return Truncated();
      switch (p_[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p_ += 2;
          break;
        case 'u':
          for (int i = 2; i < 6; ++i) {
            if (p_ + i >= end_) return Truncated();
            if (!IsHex(p_[i])) return Fail("invalid \\u escape in a string");
          }
          p_ += 6;
          break;
        default:
          return Fail("invalid escape in a string");
      }
      continue;
    }
    if (c < 0x20) {
      char msg[64];
      std::snprintf(msg, sizeof msg, "unescaped control byte 0x%02x in a string", c);
      error_ = msg;
      error_offset_ = static_cast<size_t>(p_ - base_);
      return false;
    }
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(p_, end_);
      if (n == 0) {
        // A sequence cut by the end of the text is truncation, not an error.
        size_t left = static_cast<size_t>(end_ - p_);
        size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        bool prefix = c >= 0xC2 && c <= 0xF4 && left < want;
        for (size_t i = 1; prefix && i < left; ++i) prefix = p_[i] >= 0x80 && p_[i] <= 0xBF;
        if (prefix) return Truncated();
        error_is_utf8_ = true;
        return Fail("invalid UTF-8");
      }
      p_ += n;
      continue;
    }
    ++p_;
  }
}

bool JsonScanner::Number() {
  if (*p_ == '-') ++p_;
  if (p_ >= end_) return Truncated();
  if (*p_ == '0') {
    ++p_;
  } else if (IsDigit(*p_)) {
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  } else {
    return Fail("invalid number");
  }
  if (p_ < end_ && *p_ == '.') {
    ++p_;
    if (p_ >= end_) return Truncated();
    if (!IsDigit(*p_)) return Fail("invalid number: no digit after '.'");
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (p_ >= end_) return Truncated();
    if (!IsDigit(*p_)) return Fail("invalid number: no digit in the exponent");
    while (p_ < end_ && IsDigit(*p_)) ++p_;
  }
  return true;
}

bool JsonScanner::Literal(std::string_view word) {
  for (char w : word) {
    if (p_ >= end_) return Truncated();
    if (*p_ != static_cast<unsigned char>(w)) return Fail("invalid literal (expected true, false or null)");
    ++p_;
  }
  return true;
}

void DecodeJsonString(std::string_view body, std::string* out) {
  size_t i = 0;
  const size_t n = body.size();
  while (i < n) {
    size_t slash = body.find('\\', i);
    if (slash == std::string_view::npos) {
      out->append(body.data() + i, n - i);
      return;
    }
    out->append(body.data() + i, slash - i);
    i = slash;
    if (i + 1 >= n) return;
    char e = body[i + 1];
    i += 2;
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        auto hex4 = [&](size_t at, uint32_t* v) {
          if (at + 4 > n) return false;
          uint32_t x = 0;
          for (size_t k = 0; k < 4; ++k) {
            unsigned char c = static_cast<unsigned char>(body[at + k]);
            if (!IsHex(c)) return false;
            x = x * 16 + static_cast<uint32_t>(HexValue(c));
          }
          *v = x;
          return true;
        };
        uint32_t cp;
        if (!hex4(i, &cp)) {
          out->append("\xEF\xBF\xBD");
          break;
        }
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (i + 1 < n && body[i] == '\\' && body[i + 1] == 'u' && hex4(i + 2, &lo) &&
              lo >= 0xDC00 && lo <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          cp = 0xFFFD;
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        out->push_back(e);
    }
  }
}

bool DecodeJsonStringLiteral(std::string_view json, std::string* out) {
  JsonScanner scanner;
  size_t end = 0;
  JsonType type;
  if (scanner.Scan(json, &end, &type) != JsonScanner::Result::kOk || type != JsonType::kString) return false;
  size_t first = json.find('"');
  std::string_view rest = json.substr(end);
  if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) return false;
  DecodeJsonString(json.substr(first + 1, end - first - 2), out);
  return true;
}

}  // namespace capsfusion::io
