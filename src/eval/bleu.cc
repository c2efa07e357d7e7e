// BLEU-1..4 as pycocoevalcap's BleuScorer computes them with option 'closest'.

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "eval/scorers.h"

namespace capsfusion::eval {

uint32_t ClosestRefLength(const std::vector<uint32_t>& ref_lengths, uint32_t testlen) {
  // min over (|l - testlen|, l): the smallest distance, then the shorter length.
  bool have = false;
  uint64_t best_dist = 0;
  uint32_t best = 0;
  for (uint32_t l : ref_lengths) {
    const uint64_t dist = l > testlen ? l - testlen : testlen - l;
    if (!have || dist < best_dist || (dist == best_dist && l < best)) {
      have = true;
      best_dist = dist;
      best = l;
    }
  }
  return best;
}

std::array<double, kMaxOrder> BleuFromCounts(const BleuCounts& c) {
  constexpr double kTiny = 1e-15;  // so that no match still gives a (tiny) score
  constexpr double kSmall = 1e-9;
  std::array<double, kMaxOrder> bleu{};
  double product = 1.0;
  for (int k = 0; k < kMaxOrder; ++k) {
    product *= (static_cast<double>(c.correct[k]) + kTiny) / (static_cast<double>(c.guess[k]) + kSmall);
    bleu[k] = std::pow(product, 1.0 / (k + 1));
  }
  const double ratio = (static_cast<double>(c.testlen) + kTiny) / (static_cast<double>(c.reflen) + kSmall);
  if (ratio < 1.0) {
    const double penalty = std::exp(1.0 - 1.0 / ratio);
    for (double& b : bleu) b *= penalty;
  }
  return bleu;
}

BleuCounts BleuClipper::Count(const NGramView& hyp, const std::vector<NGramView>& refs) {
  BleuCounts c;
  c.testlen = hyp.length;
  for (int k = 0; k < kMaxOrder; ++k) {
    c.guess[k] = hyp.length > static_cast<uint32_t>(k) ? hyp.length - k : 0;
  }
  const size_t n = hyp.size;
  index_.Reset(n);
  for (uint32_t e = 0; e < n; ++e) {
    bool inserted;
    index_.Insert(hyp.entries[e].id, e, &inserted);
  }
  max_ref_.assign(n, 0);
  ref_lengths_.clear();
  for (const NGramView& ref : refs) {
    ref_lengths_.push_back(ref.length);
    for (uint32_t r = 0; r < ref.size; ++r) {
      const NGramCount& g = ref.entries[r];
      if (const uint32_t* e = index_.Find(g.id)) max_ref_[*e] = std::max(max_ref_[*e], g.count);
    }
  }
  c.reflen = ClosestRefLength(ref_lengths_, hyp.length);
  for (int k = 0; k < kMaxOrder; ++k) {
    for (uint32_t e = hyp.begin[k]; e < hyp.begin[k + 1]; ++e) {
      c.correct[k] += std::min(hyp.entries[e].count, max_ref_[e]);
    }
  }
  return c;
}

}  // namespace capsfusion::eval
