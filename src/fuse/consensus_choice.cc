#include "fuse/consensus_choice.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "capsfusion/metrics.h"
#include "fuse/reference_choice.h"

namespace capsfusion {

Status ParseBeamChoice(std::string_view name, ConsensusChoice* choice) {
  if (name == "model") {
    choice->enabled = false;
  } else if (name == "consensus") {
    choice->enabled = true;
  } else {
    return Status::InvalidArgument("beam choice must be model or consensus, got '" + std::string(name) + "'");
  }
  return Status::OK();
}

std::vector<double> ConsensusScores(const std::vector<std::string_view>& candidates, std::string_view raw,
                                    std::string_view synthetic, double source_weight) {
  const size_t n = candidates.size();
  std::vector<double> score(n, 0.0);
  if (n == 0) return score;
  std::vector<std::string> lines;
  lines.reserve(n);
  for (std::string_view c : candidates) lines.push_back(PtbTokenize(c));
  if (n > 1) {
    for (size_t j = 0; j < n; ++j) {
      const std::vector<double> c = TokenizedCloseness(lines, lines[j]);
      for (size_t i = 0; i < n; ++i) {
        if (i != j) score[i] += c[i];
      }
    }
    for (double& s : score) s /= static_cast<double>(n - 1);
  }
  if (source_weight != 0) {
    std::string sources(raw);
    sources += ' ';
    sources += synthetic;
    const std::vector<double> c = TokenizedCloseness(lines, PtbTokenize(sources));
    for (size_t i = 0; i < n; ++i) score[i] += source_weight * c[i];
  }
  return score;
}

bool ApplyConsensusChoice(const ConsensusChoice& choice, const LengthChoice& length, std::string_view raw,
                          std::string_view synthetic, FusedCaption* caption) {
  if (!choice.enabled || caption->alternatives.empty()) return false;
  const size_t n = 1 + caption->alternatives.size();
  auto text = [&](size_t k) -> std::string& { return k == 0 ? caption->text : caption->alternatives[k - 1]; };
  std::vector<std::string_view> texts_in;
  for (size_t k = 0; k < n; ++k) texts_in.push_back(text(k));
  const std::vector<double> score = ConsensusScores(texts_in, raw, synthetic, choice.source_weight);

  // Length classes: 0 = enough words (or no length choice), 1 = too short.
  std::vector<int> cls(n, 0);
  size_t first = n;  // when no beam has enough words: the longest (the first of the longest)
  if (length.enabled()) {
    const double want = length.MinWords(raw, synthetic);
    size_t longest_words = 0;
    bool any = false;
    for (size_t k = 0; k < n; ++k) {
      const size_t words = CountWords(texts_in[k]);
      cls[k] = static_cast<double>(words) >= want ? 0 : 1;
      any = any || cls[k] == 0;
      if (first == n || words > longest_words) {
        first = k;
        longest_words = words;
      }
    }
    if (any) first = n;
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if ((a == first) != (b == first)) return a == first;
    if (cls[a] != cls[b]) return cls[a] < cls[b];
    return score[a] > score[b];
  });
  return ReorderBeams(order, caption);
}

}  // namespace capsfusion
