// CheckFusion: every check of docs/qc.md on one (raw, synthetic, fused)
// triplet. The captions are tokenized once (the fusion metrics' word
// splitter) and every check reads the same words.

#include "capsfusion/qc.h"
#include "eval/fusion_checks.h"
#include "eval/fusion_words.h"
#include "qc/qc_checks.h"

namespace capsfusion {
namespace {

struct Scratch {
  eval::WordTokenizer raw, synthetic, fused;
  qc::Triplet t;
};

inline bool On(const QcOptions& o, QcReason r) { return o.enabled[static_cast<size_t>(r)]; }

// Fused words against the sources: below min_length_ratio of the longer
// source, or above max_length_ratio of both together.
bool LengthOutOfBounds(size_t raw, size_t synthetic, size_t fused, const QcOptions& o) {
  const double longer = static_cast<double>(raw > synthetic ? raw : synthetic);
  const double both = static_cast<double>(raw + synthetic);
  const double f = static_cast<double>(fused);
  if (longer > 0 && f < o.min_length_ratio * longer) return true;
  return both > 0 && f > o.max_length_ratio * both;
}

}  // namespace

QcResult CheckFusion(std::string_view raw, std::string_view synthetic, std::string_view fused,
                     const QcOptions& options) {
  thread_local Scratch s;
  QcResult result;
  auto fail = [&](QcReason r) { result.reasons.push_back(r); };
  qc::Triplet& t = s.t;
  t.fused.Fill(&s.fused, fused);
  // Without a word nothing else is defined: only `empty` can fail.
  if (t.fused.words->empty()) {
    if (On(options, QcReason::kEmpty)) fail(QcReason::kEmpty);
    return result;
  }
  t.raw.Fill(&s.raw, raw);
  t.synthetic.Fill(&s.synthetic, synthetic);
  const auto& rw = *t.raw.words;
  const auto& sw = *t.synthetic.words;
  const auto& fw = *t.fused.words;

  if (On(options, QcReason::kPromptLeak)) {
    const uint32_t in_sources = eval::LeakPhrases(rw) | eval::LeakPhrases(sw);
    if ((eval::LeakPhrases(fw) & ~in_sources) != 0) fail(QcReason::kPromptLeak);
  }
  if (On(options, QcReason::kConcatenation) && eval::IsConcatenationWords(rw, sw, fw)) {
    fail(QcReason::kConcatenation);
  }
  if (On(options, QcReason::kDroppedName) && qc::DroppedNames(t) > options.max_dropped_names) {
    fail(QcReason::kDroppedName);
  }
  if (On(options, QcReason::kDroppedNumber) && qc::DroppedNumbers(t) > options.max_dropped_numbers) {
    fail(QcReason::kDroppedNumber);
  }
  if (On(options, QcReason::kHallucination) && qc::HallucinatedNames(t) > options.max_hallucinated_names) {
    fail(QcReason::kHallucination);
  }
  if (On(options, QcReason::kLengthRatio) && LengthOutOfBounds(rw.size(), sw.size(), fw.size(), options)) {
    fail(QcReason::kLengthRatio);
  }
  if (On(options, QcReason::kRepetition) && options.repeat_ngram > 0 &&
      qc::HasRepetition(t, options.repeat_ngram, options.max_ngram_repeats)) {
    fail(QcReason::kRepetition);
  }
  if (On(options, QcReason::kLanguage) && qc::CheckLanguage(t, options).failed) fail(QcReason::kLanguage);
  return result;
}

}  // namespace capsfusion
