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

std::vector<std::string> Tokens(std::string_view caption) {
  const std::string line = PtbTokenize(caption);
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

size_t Lcs(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (const std::string& x : a) {
    cur[0] = 0;
    for (size_t j = 0; j < b.size(); ++j) cur[j + 1] = x == b[j] ? prev[j] + 1 : std::max(prev[j + 1], cur[j]);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

double RougeL(const std::vector<std::string>& c, const std::vector<std::string>& r) {
  const double lcs = static_cast<double>(Lcs(c, r));
  if (lcs == 0) return 0;
  const double p = lcs / static_cast<double>(c.size()), rec = lcs / static_cast<double>(r.size());
  const double beta2 = 1.2 * 1.2;
  return (1 + beta2) * p * rec / (rec + beta2 * p);
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

double CaptionCloseness(std::string_view candidate, std::string_view reference) {
  const auto c = Tokens(candidate), r = Tokens(reference);
  if (c.empty() || r.empty()) return 0;
  return RougeL(c, r) + SmoothedBleu4(c, r);
}

bool ApplyReferenceChoice(std::string_view reference, FusedCaption* caption) {
  if (reference.empty() || caption->alternatives.empty()) return false;
  const size_t n = 1 + caption->alternatives.size();
  auto text = [&](size_t k) -> std::string& { return k == 0 ? caption->text : caption->alternatives[k - 1]; };
  std::vector<double> score(n);
  for (size_t k = 0; k < n; ++k) score[k] = CaptionCloseness(text(k), reference);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score[a] > score[b]; });
  if (order[0] == 0 && std::is_sorted(order.begin(), order.end())) return false;
  std::vector<std::string> texts;
  texts.reserve(n);
  for (size_t k : order) texts.push_back(std::move(text(k)));
  for (size_t k = 0; k < n; ++k) text(k) = std::move(texts[k]);
  return order[0] != 0;
}

}  // namespace capsfusion
