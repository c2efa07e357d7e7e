#include "report/trigram_counter.h"

#include <algorithm>
#include <functional>

namespace capsfusion::report {

TrigramCounter::TrigramCounter(size_t capacity) : capacity_(std::max<size_t>(16, capacity)) {
  size_t slots = 16;
  while (slots < 4 * capacity_) slots *= 2;
  slots_.assign(slots, Slot{{0, 0, 0}, 0});
  mask_ = slots - 1;
  limit_ = 2 * capacity_;
}

// Misra-Gries with a batch decrement: subtract the capacity-th largest count
// from every count and drop those that reach zero. Any trigram's count drops
// by at most that amount in total over all prunes, which error_ tracks.
void TrigramCounter::Prune() {
  std::vector<uint32_t> values;
  values.reserve(size_);
  for (const Slot& s : slots_) {
    if (s.count) values.push_back(s.count);
  }
  // The capacity-th largest count (the smallest when fewer are held).
  const size_t k = std::min(capacity_, values.size()) - 1;
  std::nth_element(values.begin(), values.begin() + k, values.end(), std::greater<uint32_t>());
  const uint32_t cut = std::max<uint32_t>(1, values[k]);
  std::vector<Slot> kept;
  kept.reserve(capacity_);
  for (const Slot& s : slots_) {
    if (s.count > cut) kept.push_back(Slot{s.words, static_cast<uint32_t>(s.count - cut)});
  }
  std::fill(slots_.begin(), slots_.end(), Slot{{0, 0, 0}, 0});
  for (const Slot& k : kept) {
    size_t i = Hash(k.words) & mask_;
    while (slots_[i].count != 0) i = (i + 1) & mask_;
    slots_[i] = k;
  }
  size_ = kept.size();
  error_ += cut;
}

void TrigramCounter::Merge(const TrigramCounter& other, const std::vector<uint32_t>& remap) {
  const uint64_t total = total_ + other.total_;
  for (const Slot& s : other.slots_) {
    if (s.count == 0) continue;
    const Trigram t{remap[s.words[0]], remap[s.words[1]], remap[s.words[2]]};
    Add(t, Hash(t), s.count);
  }
  total_ = total;  // Add() counted the merged occurrences again
  error_ += other.error_;
}

std::vector<TrigramCounter::Entry> TrigramCounter::Top(size_t n) const {
  std::vector<Entry> all;
  for (const Slot& s : slots_) {
    if (s.count) all.push_back(Entry{s.words, s.count});
  }
  auto better = [](const Entry& a, const Entry& b) { return a.count != b.count ? a.count > b.count : a.words < b.words; };
  if (all.size() > n) {
    std::partial_sort(all.begin(), all.begin() + n, all.end(), better);
    all.resize(n);
  } else {
    std::sort(all.begin(), all.end(), better);
  }
  return all;
}

}  // namespace capsfusion::report
