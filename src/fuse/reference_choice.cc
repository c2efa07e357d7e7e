#include "fuse/reference_choice.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "capsfusion/metrics.h"

namespace capsfusion {
namespace {

//! The tokens of a PTB-tokenized line (space-separated).
std::vector<std::string> Tokens(std::string_view line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < line.size()) {
    size_t end = line.find(' ', start);
    if (end == std::string::npos) end = line.size();
    if (end > start) out.emplace_back(line.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

double SmoothedBleu4(const std::vector<std::string>& c, const std::vector<std::string>& r) {
  double log_sum = 0;
  for (size_t n = 1; n <= 4; ++n) {
    std::map<std::vector<std::string>, int> ref_counts;
    for (size_t i = 0; i + n <= r.size(); ++i) ++ref_counts[{r.begin() + i, r.begin() + i + n}];
    double matched = 0, total = 0;
    std::map<std::vector<std::string>, int> seen;
    for (size_t i = 0; i + n <= c.size(); ++i) {
      std::vector<std::string> g(c.begin() + i, c.begin() + i + n);
      auto it = ref_counts.find(g);
      if (it != ref_counts.end() && ++seen[g] <= it->second) ++matched;
      ++total;
    }
    log_sum += std::log((matched + 1) / (total + 1));
  }
  const double brevity = std::min(0.0, 1.0 - static_cast<double>(r.size()) / static_cast<double>(c.size()));
  return std::exp(brevity + log_sum / 4);
}

}  // namespace

std::vector<double> TokenizedCloseness(const std::vector<std::string>& candidates, const std::string& reference) {
  std::vector<double> out(candidates.size(), 0.0);
  const auto r = Tokens(reference);
  if (r.empty() || candidates.empty()) return out;
  const CorpusScores rouge = ScoreTokenized(std::vector<std::vector<std::string>>(candidates.size(), {reference}),
                                            candidates);
  for (size_t k = 0; k < candidates.size(); ++k) {
    const auto c = Tokens(candidates[k]);
    if (!c.empty()) out[k] = rouge.per_item[k].rouge_l + SmoothedBleu4(c, r);
  }
  return out;
}

namespace {

//! Closeness of each candidate to `reference`.
std::vector<double> Closeness(const std::vector<std::string_view>& candidates, std::string_view reference) {
  std::vector<std::string> lines;
  for (std::string_view c : candidates) lines.push_back(PtbTokenize(c));
  return TokenizedCloseness(lines, PtbTokenize(reference));
}

}  // namespace

double CaptionCloseness(std::string_view candidate, std::string_view reference) {
  return Closeness({candidate}, reference)[0];
}

bool ApplyReferenceChoice(std::string_view reference, FusedCaption* caption) {
  if (reference.empty() || caption->alternatives.empty()) return false;
  const size_t n = 1 + caption->alternatives.size();
  auto text = [&](size_t k) -> std::string& { return k == 0 ? caption->text : caption->alternatives[k - 1]; };
  std::vector<std::string_view> texts_in;
  for (size_t k = 0; k < n; ++k) texts_in.push_back(text(k));
  const std::vector<double> score = Closeness(texts_in, reference);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  return ReorderBeams(order, caption);
}

bool ReorderBeams(const std::vector<size_t>& order, FusedCaption* caption) {
  if (std::is_sorted(order.begin(), order.end())) return false;
  auto text = [&](size_t k) -> std::string& { return k == 0 ? caption->text : caption->alternatives[k - 1]; };
  std::vector<std::string> texts;
  texts.reserve(order.size());
  for (size_t k : order) texts.push_back(std::move(text(k)));
  for (size_t k = 0; k < texts.size(); ++k) text(k) = std::move(texts[k]);
  return order[0] != 0;
}

}  // namespace capsfusion
