// Stable row ids: XXH64 (seed 0) of a row's content, as 16 hex digits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace capsfusion::io {

//! XXH64 of `data` with `seed`, as specified by the xxHash project (the same
//! value as `xxhash.xxh64(data, seed).intdigest()` in Python), on any machine.
uint64_t Xxh64(std::string_view data, uint64_t seed = 0);

//! `value` as 16 lowercase hex digits.
std::string HexId(uint64_t value);

}  // namespace capsfusion::io
