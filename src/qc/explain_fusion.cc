// ExplainFusion: CheckFusion's reasons with what each check found.

#include <cstdio>
#include <string>

#include "capsfusion/qc.h"
#include "eval/fusion_words.h"
#include "qc/qc_checks.h"

namespace capsfusion {
namespace {

std::string Join(const qc::Found& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

}  // namespace

std::vector<QcFinding> ExplainFusion(std::string_view raw, std::string_view synthetic, std::string_view fused,
                                     const QcOptions& options) {
  const QcResult result = CheckFusion(raw, synthetic, fused, options);
  std::vector<QcFinding> out;
  if (result.passed()) return out;
  eval::WordTokenizer rt, st, ft;
  qc::Triplet t;
  t.raw.Fill(&rt, raw);
  t.synthetic.Fill(&st, synthetic);
  t.fused.Fill(&ft, fused);
  char buf[160];
  for (QcReason r : result.reasons) {
    qc::Found found;
    std::string detail;
    switch (r) {
      case QcReason::kEmpty:
        detail = fused.empty() ? "no text" : "no word";
        break;
      case QcReason::kPromptLeak:
        detail = "echoes the fusion instruction";
        break;
      case QcReason::kConcatenation:
        detail = "the two sources one after the other";
        break;
      case QcReason::kDroppedName:
        qc::DroppedNames(t, &found);
        detail = Join(found);
        break;
      case QcReason::kDroppedNumber:
        qc::DroppedNumbers(t, &found);
        detail = Join(found);
        break;
      case QcReason::kHallucination:
        qc::HallucinatedNames(t, &found);
        detail = Join(found);
        break;
      case QcReason::kLengthRatio:
        std::snprintf(buf, sizeof buf, "%zu fused words for %zu raw and %zu synthetic", t.fused.words->size(),
                      t.raw.words->size(), t.synthetic.words->size());
        detail = buf;
        break;
      case QcReason::kRepetition:
        qc::HasRepetition(t, options.repeat_ngram, options.max_ngram_repeats, &found);
        detail = Join(found);
        break;
      case QcReason::kLanguage:
        detail = qc::CheckLanguage(t, options).why;
        break;
    }
    out.push_back(QcFinding{r, std::move(detail)});
  }
  return out;
}

}  // namespace capsfusion
