// repetition: an n-gram of fused words (the fusion metrics' words, so case
// and punctuation do not matter) that occurs more than 1 + max_repeats times
// and more often than in either source (a source that repeats it allows the
// fused caption the same). N-grams are compared by a 64-bit hash of their
// words' hashes; the sort keeps long captions at n log n.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

inline uint64_t Combine(uint64_t h, uint64_t w) {
  h ^= w + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

// Hashes of every n-gram of `words`, in order.
void NgramHashes(const std::vector<eval::FusionWord>& words, int n, std::vector<uint64_t>* out) {
  out->clear();
  const size_t k = static_cast<size_t>(n);
  if (words.size() < k) return;
  for (size_t i = 0; i + k <= words.size(); ++i) {
    uint64_t h = k;
    for (size_t j = 0; j < k; ++j) h = Combine(h, words[i + j].hash);
    out->push_back(h);
  }
}

size_t Occurrences(const std::vector<uint64_t>& hashes, uint64_t h) {
  return static_cast<size_t>(std::count(hashes.begin(), hashes.end(), h));
}

}  // namespace

bool HasRepetition(const Triplet& t, int n, int max_repeats) {
  if (n <= 0) return false;
  const size_t allowed = 1 + static_cast<size_t>(max_repeats < 0 ? 0 : max_repeats);
  thread_local std::vector<uint64_t> fused, sorted, raw, synthetic;
  NgramHashes(*t.fused.words, n, &fused);
  if (fused.size() <= allowed) return false;
  sorted = fused;
  std::sort(sorted.begin(), sorted.end());
  bool sources_done = false;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i + 1;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const size_t count = j - i;
    if (count > allowed) {
      if (!sources_done) {
        NgramHashes(*t.raw.words, n, &raw);
        NgramHashes(*t.synthetic.words, n, &synthetic);
        sources_done = true;
      }
      if (count > Occurrences(raw, sorted[i]) && count > Occurrences(synthetic, sorted[i])) return true;
    }
    i = j;
  }
  return false;
}

}  // namespace capsfusion::qc
