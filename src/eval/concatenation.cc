// Concatenation detection: the fused caption is essentially one source
// followed by the other. With tau = 9/10, the fused words F are a
// concatenation of A then B (A, B = raw, synthetic or synthetic, raw) when
// for some cut k
//   LCS(F[0:k], A) >= tau |A|,  LCS(F[k:], B) >= tau |B|,
//   LCS(F[0:k], A) + LCS(F[k:], B) >= tau |F|
// (each source nearly all there, in order, in its own part, and few other
// words). All comparisons are done in integers.

#include <string_view>
#include <vector>

#include "capsfusion/fusion_metrics.h"
#include "eval/fusion_checks.h"

namespace capsfusion {
namespace eval {
namespace {

constexpr uint64_t kTauNum = 9, kTauDen = 10;

inline bool Same(const FusionWord& a, const FusionWord& b) { return a.hash == b.hash && a.text == b.text; }

// out[k] = LCS(F[0:k], A) for k = 0..|F| (forward), or LCS(F[k:], A) when
// `backward` (then A is read backwards too).
void PrefixLcs(const std::vector<FusionWord>& f, const std::vector<FusionWord>& a, bool backward,
               std::vector<uint32_t>* out, std::vector<uint32_t>* row) {
  const size_t nf = f.size(), na = a.size();
  out->assign(nf + 1, 0);
  row->assign(na + 1, 0);
  uint32_t* r = row->data();
  for (size_t step = 0; step < nf; ++step) {
    const FusionWord& x = backward ? f[nf - 1 - step] : f[step];
    uint32_t diag = 0;
    for (size_t j = 1; j <= na; ++j) {
      const FusionWord& y = backward ? a[na - j] : a[j - 1];
      const uint32_t up = r[j];
      r[j] = Same(x, y) ? diag + 1 : (up > r[j - 1] ? up : r[j - 1]);
      diag = up;
    }
    (*out)[backward ? nf - 1 - step : step + 1] = r[na];
  }
}

bool ConcatenatedInOrder(const std::vector<FusionWord>& first, const std::vector<FusionWord>& second,
                         const std::vector<FusionWord>& fused) {
  thread_local std::vector<uint32_t> head, tail, row;
  PrefixLcs(fused, first, /*backward=*/false, &head, &row);
  PrefixLcs(fused, second, /*backward=*/true, &tail, &row);
  const uint64_t na = first.size(), nb = second.size(), nf = fused.size();
  for (size_t k = 0; k <= fused.size(); ++k) {
    const uint64_t a = head[k], b = tail[k];
    if (a * kTauDen >= kTauNum * na && b * kTauDen >= kTauNum * nb && (a + b) * kTauDen >= kTauNum * nf) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsConcatenationWords(const std::vector<FusionWord>& raw, const std::vector<FusionWord>& synthetic,
                          const std::vector<FusionWord>& fused) {
  if (raw.empty() || synthetic.empty() || fused.empty()) return false;
  // The conditions imply tau (|R| + |S|) <= |F| <= (|R| + |S|) / tau.
  const uint64_t sources = raw.size() + synthetic.size(), nf = fused.size();
  if (nf * kTauDen < kTauNum * sources || nf * kTauNum > kTauDen * sources) return false;
  return ConcatenatedInOrder(raw, synthetic, fused) || ConcatenatedInOrder(synthetic, raw, fused);
}

}  // namespace eval

bool IsConcatenation(std::string_view raw, std::string_view synthetic, std::string_view fused) {
  thread_local eval::WordTokenizer r, s, f;
  return eval::IsConcatenationWords(r.Tokenize(raw), s.Tokenize(synthetic), f.Tokenize(fused));
}

}  // namespace capsfusion
