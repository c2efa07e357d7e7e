#include "report/trigram_counter.h"

#include <algorithm>

namespace capsfusion::report {

void TrigramCounter::Add(const Trigram& t) {
  ++total_;
  ++counts_[t];
  if (counts_.size() >= 2 * capacity_) Prune();
}

// Misra-Gries with a batch decrement: subtract the capacity-th largest count
// from every count and drop those that reach zero. Any trigram's count drops
// by at most that amount in total over all prunes, which error_ tracks.
void TrigramCounter::Prune() {
  std::vector<uint64_t> values;
  values.reserve(counts_.size());
  for (const auto& kv : counts_) values.push_back(kv.second);
  std::nth_element(values.begin(), values.begin() + (capacity_ - 1), values.end(), std::greater<uint64_t>());
  uint64_t cut = values[capacity_ - 1];
  // Keep at least one distinct count above zero so that pruning makes room.
  if (cut == 0) cut = 1;
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (it->second <= cut) {
      it = counts_.erase(it);
    } else {
      it->second -= cut;
      ++it;
    }
  }
  error_ += cut;
}

std::vector<TrigramCounter::Entry> TrigramCounter::Top(size_t n) const {
  std::vector<Entry> all;
  all.reserve(counts_.size());
  for (const auto& kv : counts_) all.push_back(Entry{kv.first, kv.second});
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
