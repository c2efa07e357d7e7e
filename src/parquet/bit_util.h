// Little helpers for bit-packed and little-endian data: bounded loads that
// never read past the end of their buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace capsfusion::parquet {

//! Reads `bit_width` (0..64) bits starting at bit `bit_pos` of `data`
//! (`size` bytes), least significant bit first as Parquet packs them. Bits
//! past the end read as zero; callers check lengths first.
inline uint64_t ReadPackedBits(const uint8_t* data, size_t size, uint64_t bit_pos, int bit_width) {
  if (bit_width == 0) return 0;
  size_t byte = static_cast<size_t>(bit_pos >> 3);
  int shift = static_cast<int>(bit_pos & 7);
  if (bit_width <= 56 && byte + 8 <= size) {
    uint64_t w;
    std::memcpy(&w, data + byte, 8);
    return (w >> shift) & ((uint64_t{1} << bit_width) - 1);
  }
  uint64_t v = 0;
  int got = 0;
  while (got < bit_width) {
    uint64_t b = byte < size ? data[byte] : 0;
    int take = 8 - shift;
    if (take > bit_width - got) take = bit_width - got;
    v |= ((b >> shift) & ((uint64_t{1} << take) - 1)) << got;
    got += take;
    ++byte;
    shift = 0;
  }
  return v;
}

//! Reads an unsigned LEB128 varint; false when it runs past `end` or over 64 bits.
inline bool ReadUleb(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return false;
    uint8_t b = *(*p)++;
    if (shift == 63 && (b & 0x7e) != 0) return false;
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

//! Reads a zigzag-encoded varint.
inline bool ReadZigZag(const uint8_t** p, const uint8_t* end, int64_t* out) {
  uint64_t z;
  if (!ReadUleb(p, end, &z)) return false;
  *out = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  return true;
}

inline void AppendUleb(uint64_t v, std::string* out);

//! Bits needed to hold `v` (0 for 0).
inline int BitWidth(uint64_t v) {
  int n = 0;
  while (v) {
    ++n;
    v >>= 1;
  }
  return n;
}

inline uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace capsfusion::parquet
