// PieceTable: a compact open-addressing hash map from piece text to token id.
//
// The encoder looks up every candidate merge, so this is on the hot path: keys
// live in one arena, slots hold a hash fragment to reject most misses without
// touching the arena, and probing is linear over a power-of-two table.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion {

class PieceTable {
 public:
  PieceTable() = default;

  //! Adds `piece` -> `id` unless the piece is already present (the first id
  //! inserted wins). Call Reserve first when the count is known.
  void Insert(std::string_view piece, int32_t id);
  void Reserve(size_t n);

  //! The id of `piece`, or -1.
  int32_t Find(std::string_view piece) const {
    if (slots_.empty()) return -1;
    const uint64_t h = Hash(piece);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.tag == tag && s.len == piece.size() &&
          std::string_view(arena_.data() + s.offset, s.len) == piece) {
        return s.id;
      }
    }
  }

  size_t size() const { return count_; }

  //! The hash the table uses: 8 bytes at a time, multiply-xorshift mixing.
  static uint64_t Hash(std::string_view s) {
    const char* p = s.data();
    size_t n = s.size();
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (n * 0xC2B2AE3D27D4EB4Full);
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xFF51AFD7ED558CCDull;
      h ^= h >> 32;
      p += 8;
      n -= 8;
    }
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    h *= 0xFF51AFD7ED558CCDull;
    return h ^ (h >> 32);
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    int32_t id = -1;  // -1: empty
    uint32_t offset = 0;
    uint32_t len = 0;
  };
  void Grow(size_t capacity);

  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
  size_t count_ = 0;
};

}  // namespace capsfusion
