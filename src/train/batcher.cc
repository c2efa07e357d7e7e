#include "train/batcher.h"

#include <algorithm>

#include "train/rng.h"

namespace capsfusion::train {

std::vector<std::vector<uint32_t>> PlanEpoch(const std::vector<uint32_t>& lengths, int batch_size, uint64_t seed,
                                             int epoch, int pool_batches) {
  std::vector<std::vector<uint32_t>> batches;
  if (lengths.empty() || batch_size < 1) return batches;
  std::vector<uint32_t> order(lengths.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng = Rng::For(seed, 0xba7c, static_cast<uint64_t>(epoch));
  rng.Shuffle(&order);
  size_t pool = static_cast<size_t>(batch_size) * static_cast<size_t>(std::max(1, pool_batches));
  for (size_t start = 0; start < order.size(); start += pool) {
    size_t end = std::min(order.size(), start + pool);
    std::stable_sort(order.begin() + start, order.begin() + end,
                     [&](uint32_t a, uint32_t b) { return lengths[a] < lengths[b]; });
    for (size_t b = start; b < end; b += batch_size) {
      batches.emplace_back(order.begin() + b, order.begin() + std::min(end, b + batch_size));
    }
  }
  rng.Shuffle(&batches);
  return batches;
}

}  // namespace capsfusion::train
