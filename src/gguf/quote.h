// QuoteForError: how keys and tensor names appear in error messages (internal to src/gguf).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace capsfusion::gguf {

//! 'name' with printable ASCII kept, other bytes as \xNN, and anything past 96 bytes cut to "...".
inline std::string QuoteForError(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const size_t n = std::min<size_t>(s.size(), 96);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (n < s.size()) out += "...";
  out += "'";
  return out;
}

}  // namespace capsfusion::gguf
