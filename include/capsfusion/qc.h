// Quality checks of fused captions, and what to do about a failure.
//
//   capsfusion::QcOptions opt;
//   capsfusion::QcResult r = capsfusion::CheckFusion(raw, synthetic, fused, opt);
//   if (!r.passed()) for (QcReason why : r.reasons) puts(QcReasonName(why));
//
// Each check is a pure function of the three captions, so results are the same
// whatever the batch, thread or machine. Output rows carry the failed checks'
// names in the field `qc_reasons` (a JSON array of strings, [] when all pass),
// which `capsfusion stats` and `capsfusion view` read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"

namespace capsfusion {

//! Why a fused caption failed a check. The names (QcReasonName) are stable:
//! they are written to datasets.
enum class QcReason : uint8_t {
  kEmpty = 0,         //!< "empty": empty or whitespace only
  kPromptLeak,        //!< "prompt_leak": echoes the fusion instruction
  kConcatenation,     //!< "concatenation": the two sources glued together, not fused
  kDroppedName,       //!< "dropped_name": a proper noun of the raw caption is missing
  kDroppedNumber,     //!< "dropped_number": a number of the raw caption is missing
  kHallucination,     //!< "hallucination": a proper noun found in neither source
  kLengthRatio,       //!< "length_ratio": length out of bounds relative to the sources
  kRepetition,        //!< "repetition": an n-gram repeated
  kLanguage,          //!< "language": not the language (script) of the sources
};
constexpr size_t kQcReasonCount = 9;

const char* QcReasonName(QcReason reason);
//! Parses a name written by QcReasonName.
StatusOr<QcReason> ParseQcReason(std::string_view name);

//! Thresholds of the checks (the defaults are documented in docs/qc.md).
struct QcOptions {
  std::array<bool, kQcReasonCount> enabled{true, true, true, true, true, true, true, true, true};
  double min_length_ratio = 0.5;   //!< fused words / words of the longer source, below: length_ratio
  double max_length_ratio = 2.5;   //!< fused words / (raw + synthetic words), above: length_ratio
  int repeat_ngram = 3;            //!< n of the repeated n-gram check
  int max_ngram_repeats = 1;       //!< an n-gram may occur this many extra times
  size_t max_dropped_names = 0;    //!< raw proper nouns that may be missing
  size_t max_dropped_numbers = 0;  //!< raw numbers that may be missing
  // Additions (docs/qc.md):
  size_t max_hallucinated_names = 0;  //!< fused proper nouns found in neither source that may occur
  double foreign_script_share = 0.2;  //!< language: a script with this share of the fused letters...
  double source_script_share = 0.05;  //!< ...needs at least this share of a source's letters
  int min_function_words = 4;         //!< language: function words that make a Latin-script language sure

  //! The thresholds and enabled checks as one JSON object (for fingerprints and provenance).
  std::string ToJson() const;
};

//! Which checks failed, in enum order.
struct QcResult {
  std::vector<QcReason> reasons;
  bool passed() const { return reasons.empty(); }
  bool Has(QcReason r) const;
  //! The JSON array written to the output row, e.g. ["prompt_leak","repetition"].
  std::string ToJson() const;
};

QcResult CheckFusion(std::string_view raw, std::string_view synthetic, std::string_view fused,
                     const QcOptions& options);

//! What the pipeline does with a caption that failed a check.
enum class QcAction : uint8_t {
  kKeep,               //!< "keep": write it, flagged in qc_reasons
  kRetry,              //!< "retry": fuse again with the retry decoding settings, then apply the
                       //!<          policy of what still fails with retries exhausted (retry -> keep)
  kFallbackSynthetic,  //!< "synthetic": write the synthetic caption instead (flagged)
  kFallbackRaw,        //!< "raw": write the raw caption instead (flagged)
  kDrop,               //!< "drop": leave the row out of the output (counted, written to the rejects file)
};

const char* QcActionName(QcAction action);
//! Parses a name written by QcActionName.
StatusOr<QcAction> ParseQcAction(std::string_view name);

//! One action per reason. When several reasons fail, the strongest action
//! wins: drop > raw > synthetic > retry > keep.
struct QcPolicy {
  std::array<QcAction, kQcReasonCount> action{};  //!< all keep
  //! The default policy: retry empty, prompt_leak, repetition, concatenation;
  //! keep the rest (flagged).
  static QcPolicy Default();
  //! Parses "reason=action,..." (reason "all" sets every one) on top of `base`,
  //! e.g. "prompt_leak=retry,empty=synthetic,language=drop".
  static StatusOr<QcPolicy> Parse(std::string_view spec, const QcPolicy& base);
  //! The action for a failed result (kKeep when it passed).
  QcAction Decide(const QcResult& result) const;
  //! Every reason's action as "empty=retry,prompt_leak=retry,..." (all nine,
  //! in enum order); Parse(ToString(), any base) gives this policy back.
  std::string ToString() const;
};

}  // namespace capsfusion
