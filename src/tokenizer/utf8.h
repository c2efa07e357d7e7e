// Strict UTF-8 character boundaries for the tokenizer's first split.
#pragma once

#include <cstddef>
#include <cstdint>

namespace capsfusion {

//! Length in bytes of the well-formed UTF-8 character that starts at s[0]
//! (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or 0
//! when the bytes there are not one; `n` (> 0) is the number of bytes left.
//! The tokenizer treats every byte of an ill-formed sequence as a character of
//! its own, so byte fallback can spell it and decoding restores it exactly.
inline size_t Utf8CharLength(const unsigned char* s, size_t n) {
  const unsigned char b = s[0];
  if (b < 0x80) return 1;
  auto cont = [&](size_t i, unsigned char lo, unsigned char hi) {
    return i < n && s[i] >= lo && s[i] <= hi;
  };
  if (b >= 0xC2 && b <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned char lo = b == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b == 0xED ? 0x9F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned char lo = b == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b == 0xF4 ? 0x8F : 0xBF;
    return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace capsfusion
