// UTF-8 validation for GGUF keys and tensor names.
#pragma once

#include <string_view>

namespace capsfusion::gguf {

//! True when `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s);

}  // namespace capsfusion::gguf
