#include "report/html_escape.h"

#include <cstdint>

namespace capsfusion::report {

namespace {

// Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when invalid.
size_t ValidUtf8Length(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    const unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

}  // namespace

void AppendHtmlEscaped(std::string_view text, std::string* out) {
  out->reserve(out->size() + text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '&': out->append("&amp;"); ++i; continue;
      case '<': out->append("&lt;"); ++i; continue;
      case '>': out->append("&gt;"); ++i; continue;
      case '"': out->append("&quot;"); ++i; continue;
      case '\'': out->append("&#39;"); ++i; continue;
      default: break;
    }
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\t' && c != '\n') {
      out->append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    const size_t len = ValidUtf8Length(text, i);
    if (len == 0) {
      out->append("\xEF\xBF\xBD");
      ++i;
      continue;
    }
    out->append(text.data() + i, len);
    i += len;
  }
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  AppendHtmlEscaped(text, &out);
  return out;
}

std::string TerminalSafe(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const size_t len = ValidUtf8Length(text, i);
    if (len == 0 || c < 0x20 || c == 0x7F) {
      out.push_back('?');
      ++i;
      continue;
    }
    // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
    if (len == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) {
      out.push_back('?');
      i += 2;
      continue;
    }
    out.append(text.data() + i, len);
    i += len;
  }
  return out;
}

}  // namespace capsfusion::report
