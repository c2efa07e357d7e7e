// Stable row ids: a 64-bit FNV-1a hash of a row's content, as 16 hex digits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace capsfusion::io {

//! FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
class Fnv1a64 {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      h_ ^= c;
      h_ *= 0x100000001b3ULL;
    }
  }
  void AddByte(unsigned char c) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

//! `value` as 16 lowercase hex digits.
std::string HexId(uint64_t value);

}  // namespace capsfusion::io
