// The QC step of the fuse pipeline: checks each fused caption, and applies the
// policy (keep flagged, retry with the retry decoding, fall back to a source
// caption, drop to the rejects file).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/qc.h"
#include "capsfusion/status.h"
#include "fuse/model_fuser.h"

namespace capsfusion {

//! The checker: CheckFusion with the run's options, or a stand-in in tests.
using QcChecker = std::function<QcResult(std::string_view raw, std::string_view synthetic, std::string_view fused)>;

struct QcSettings {
  bool enabled = true;
  QcOptions options;
  QcPolicy policy;     //!< set to QcPolicy::Default() (plus --qc-policy) by the caller
  int max_retries = 1;  //!< --qc-retries
  QcChecker checker;   //!< empty: CheckFusion(raw, synthetic, fused, options)
};

//! Rows per reason and per action (summary JSON, manifest, progress line).
struct QcCounts {
  std::array<uint64_t, kQcReasonCount> reasons{};  //!< rows whose final caption failed this check
  uint64_t checked = 0;      //!< captions checked (first attempt)
  uint64_t flagged = 0;      //!< rows whose final caption failed any check
  uint64_t kept = 0;         //!< flagged rows written as they are
  uint64_t alternative = 0;  //!< rows whose caption is a lower-ranked beam hypothesis that passed
  uint64_t retried = 0;      //!< rows fused again at least once
  uint64_t retry_fixed = 0;  //!< retried rows whose new caption passed
  uint64_t synthetic = 0;    //!< rows written with the synthetic caption instead
  uint64_t raw = 0;          //!< rows written with the raw caption instead
  uint64_t dropped = 0;      //!< rows sent to the rejects file

  void Add(const QcCounts& other);
  nlohmann::ordered_json ToJson() const;
  static QcCounts FromJson(const nlohmann::json& j);
};

//! One row going through QC.
struct QcItem {
  std::string_view raw, synthetic;
  FusedCaption fused;       //!< in: the caption (status OK); out: the last attempt's
  QcResult result;          //!< the checks of the final caption
  QcAction action = QcAction::kKeep;  //!< what was done: keep, synthetic, raw or drop
  int retries = 0;
  int alternative = 0;      //!< > 0: the caption is the fused one's alternatives[alternative - 1]
  std::string text;         //!< what to write (unless dropped)
};

//! Re-fuses `items` with the retry decoding, filling each one's `retry` caption.
using QcRefuse = std::function<Status(const std::vector<size_t>& items, std::vector<FusedCaption>* retry)>;

//! Checks `items` and applies the policy; `refuse` (null: no retries) re-fuses
//! rows whose action is retry. Fails only when `refuse` fails.
Status RunQc(const QcSettings& settings, std::vector<QcItem>* items, const QcRefuse& refuse, QcCounts* counts);

//! "prompt_leak,repetition": the reasons of a result, for reject messages.
std::string QcReasonList(const QcResult& result);

}  // namespace capsfusion
