// UTF-8 helpers for the dataset readers: validation, encoding, safe excerpts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace capsfusion::io {

//! Offset of the first byte of `s` that is not part of a well-formed UTF-8
//! sequence (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF),
//! or std::string_view::npos when all of `s` is valid.
size_t FindInvalidUtf8(std::string_view s);

//! Length (1 to 4) of the well-formed sequence at `p`, or 0 when it is not one.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end);

//! Decodes the character at s[i] (i < s.size()) into *cp and returns its byte
//! length; a byte that does not start a complete sequence decodes as itself
//! alone, with *cp = U+FFFD. For scanning text already known to be mostly valid.
size_t DecodeUtf8At(std::string_view s, size_t i, uint32_t* cp);

//! Appends code point `cp` as UTF-8 (a surrogate or a value over U+10FFFF
//! becomes U+FFFD).
void AppendUtf8(uint32_t cp, std::string* out);

//! `s` with every byte that is not part of a well-formed sequence replaced by
//! U+FFFD (model output decoded from byte tokens can end mid-character).
std::string ToValidUtf8(std::string_view s);

//! At most about `max_bytes` of `s` as valid UTF-8: cut at a character
//! boundary, each invalid byte replaced by U+FFFD, "..." appended when cut.
std::string SafeExcerpt(std::string_view s, size_t max_bytes);

}  // namespace capsfusion::io
