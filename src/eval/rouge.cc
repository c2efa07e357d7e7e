// ROUGE-L as pycocoevalcap's Rouge computes it: the longest common subsequence
// against each reference, the best precision and the best recall taken
// separately, combined with beta = 1.2.

#include <algorithm>

#include "eval/scorers.h"

namespace capsfusion::eval {
namespace {
// pow(1.2, 2) as Python computes self.beta**2.
constexpr double kBetaSquared = 0x1.70a3d70a3d70ap+0;
}  // namespace

uint32_t RougeL::Lcs(TokenSpan a, TokenSpan b) {
  if (a.size < b.size) std::swap(a, b);  // b is the shorter: one row of it
  row_.assign(static_cast<size_t>(b.size) + 1, 0);
  uint32_t* row = row_.data();
  for (uint32_t i = 0; i < a.size; ++i) {
    const uint32_t x = a.data[i];
    uint32_t diag = 0;  // row[j - 1] of the previous row
    for (uint32_t j = 1; j <= b.size; ++j) {
      const uint32_t up = row[j];
      row[j] = x == b.data[j - 1] ? diag + 1 : std::max(up, row[j - 1]);
      diag = up;
    }
  }
  return row[b.size];
}

double RougeL::Score(TokenSpan candidate, const std::vector<TokenSpan>& refs) {
  double prec_max = 0, rec_max = 0;
  bool any = false;
  for (const TokenSpan& ref : refs) {
    const uint32_t lcs = Lcs(ref, candidate);
    // split(' ') never gives zero pieces; guard anyway against empty spans.
    const double prec = candidate.size ? lcs / static_cast<double>(candidate.size) : 0.0;
    const double rec = ref.size ? lcs / static_cast<double>(ref.size) : 0.0;
    if (!any || prec > prec_max) prec_max = prec;
    if (!any || rec > rec_max) rec_max = rec;
    any = true;
  }
  if (prec_max == 0 || rec_max == 0) return 0.0;
  return ((1 + kBetaSquared) * prec_max * rec_max) / (rec_max + kBetaSquared * prec_max);
}

}  // namespace capsfusion::eval
