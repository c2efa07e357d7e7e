#include "tokenizer/piece_table.h"

#include <limits>

namespace capsfusion {

void PieceTable::Reserve(size_t n) {
  size_t capacity = 16;
  while (capacity < 2 * n) capacity *= 2;
  if (capacity > slots_.size()) Grow(capacity);
}

void PieceTable::Grow(size_t capacity) {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(capacity, Slot{});
  mask_ = capacity - 1;
  for (const Slot& s : old) {
    if (s.id < 0) continue;
    const uint64_t h = Hash(std::string_view(arena_.data() + s.offset, s.len));
    size_t i = h & mask_;
    while (slots_[i].id >= 0) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

void PieceTable::Insert(std::string_view piece, int32_t id) {
  if (id < 0) return;
  // Offsets and lengths are 32-bit; a vocabulary this large is rejected earlier
  // (ValidateLlamaVocab), this only keeps the table consistent.
  if (arena_.size() + piece.size() > std::numeric_limits<uint32_t>::max()) return;
  if (2 * (count_ + 1) > slots_.size()) Grow(slots_.empty() ? 16 : slots_.size() * 2);
  const uint64_t h = Hash(piece);
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  size_t i = h & mask_;
  for (;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id < 0) break;
    if (s.tag == tag && s.len == piece.size() &&
        std::string_view(arena_.data() + s.offset, s.len) == piece) {
      return;  // first id wins
    }
  }
  Slot& slot = slots_[i];
  slot.tag = tag;
  slot.id = id;
  slot.offset = static_cast<uint32_t>(arena_.size());
  slot.len = static_cast<uint32_t>(piece.size());
  arena_.append(piece.data(), piece.size());
  ++count_;
}

}  // namespace capsfusion
