#include "report/word_vocabulary.h"

namespace capsfusion::report {

WordVocabulary::WordVocabulary() : slots_(1024, Slot{0, kNone, 0}), mask_(1023), offsets_{0} {}

uint32_t WordVocabulary::Find(std::string_view text, uint64_t hash) const {
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id == kNone) return kNone;
    if (Matches(s, text, hash)) return s.id;
  }
}

uint32_t WordVocabulary::Intern(std::string_view text, uint64_t hash) {
  size_t i = hash & mask_;
  for (;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.id == kNone) break;
    if (Matches(s, text, hash)) return s.id;
  }
  const uint32_t id = static_cast<uint32_t>(size());
  texts_.append(text);
  offsets_.push_back(texts_.size());
  slots_[i] = Slot{hash, id, static_cast<uint32_t>(std::min<size_t>(text.size(), UINT32_MAX))};
  if (size() * 4 >= slots_.size() * 3) Grow();  // keep the load under 3/4
  return id;
}

std::string_view WordVocabulary::Text(uint32_t id) const {
  return std::string_view(texts_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]);
}

size_t WordVocabulary::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + texts_.capacity() + offsets_.capacity() * sizeof(uint64_t);
}

void WordVocabulary::Grow() {
  std::vector<Slot> old(slots_.size() * 2, Slot{0, kNone, 0});
  old.swap(slots_);
  mask_ = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.id == kNone) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].id != kNone) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace capsfusion::report
