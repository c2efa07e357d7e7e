// repetition: an n-gram of fused words (the fusion metrics' words, so case
// and punctuation do not matter) that occurs more than 1 + max_repeats times
// and more often than in either source (a source that repeats it allows the
// fused caption the same), or a word written twice in a row ("a tree tree")
// more often than in either source. N-grams are compared by a 64-bit hash of
// their words' hashes; the sort keeps long captions at n log n.

#include <algorithm>
#include <cstdint>
#include <string>
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

// Times the word with hash `hash` directly follows itself in `words`.
size_t Stutters(const std::vector<eval::FusionWord>& words, uint64_t hash) {
  size_t count = 0;
  for (size_t i = 1; i < words.size(); ++i) count += words[i].hash == hash && words[i - 1].hash == hash;
  return count;
}

// A word written twice in a row more often than in either source.
bool HasStutter(const Triplet& t, Found* found) {
  const auto& fw = *t.fused.words;
  for (size_t i = 1; i < fw.size(); ++i) {
    if (fw[i].hash != fw[i - 1].hash) continue;
    const uint64_t h = fw[i].hash;
    const size_t count = Stutters(fw, h);
    if (count > Stutters(*t.raw.words, h) && count > Stutters(*t.synthetic.words, h)) {
      if (found != nullptr) found->push_back("\"" + std::string(fw[i - 1].text) + " " + std::string(fw[i].text) + "\"");
      return true;
    }
  }
  return false;
}

}  // namespace

bool HasRepetition(const Triplet& t, int n, int max_repeats, Found* found) {
  if (n <= 0) return false;
  if (HasStutter(t, found)) return true;
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
      if (count > Occurrences(raw, sorted[i]) && count > Occurrences(synthetic, sorted[i])) {
        if (found != nullptr) {
          // The n-gram's words at its first occurrence, and how often it occurs.
          const size_t at = static_cast<size_t>(std::find(fused.begin(), fused.end(), sorted[i]) - fused.begin());
          std::string text;
          for (size_t k = 0; k < static_cast<size_t>(n); ++k) {
            if (k) text += ' ';
            text.append((*t.fused.words)[at + k].text);
          }
          found->push_back("\"" + text + "\" x" + std::to_string(count));
        }
        return true;
      }
    }
    i = j;
  }
  return false;
}

}  // namespace capsfusion::qc
