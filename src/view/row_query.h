// RowQuery: the viewer's search and filters (full text, QC reason, metric
// range), parsed from URL parameters with every value checked, and matched
// against rows. Internal to src/view.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "capsfusion/fusion_metrics.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"
#include "report/caption_words.h"

namespace capsfusion::view {

//! Which fields hold what, as the viewer was started.
struct ViewFields {
  std::string raw = "laion_2b";
  std::string synthetic = "laion_coco";
  std::string fused = "capsfusion";
  std::vector<std::string> references;
  std::string qc = "qc_reasons";
};

//! Metrics computed from the captions (docs/metrics.md), usable in ranges.
const std::vector<std::string>& ComputedMetricNames();

struct RowQuery {
  enum class Scope { kAll, kRaw, kSynthetic, kFused, kReferences };
  std::string text;  //!< search text, ASCII-lowercased; empty: no text filter
  Scope scope = Scope::kAll;
  //! "" no QC filter; "*any" rows with a reason; "*none" rows without; else that reason.
  std::string qc;
  std::string metric;  //!< "" none; a field name, "object.member", or a computed metric
  double min = -1e308, max = 1e308;  //!< inclusive range for `metric`
  bool active() const { return !text.empty() || !qc.empty() || !metric.empty(); }
};

//! Parses q, in (all|raw|synthetic|fused|references), qc, metric, min, max.
//! Unknown scopes, numbers that do not parse, min > max, a range without a
//! metric and over-long values are errors (the server answers 400).
StatusOr<RowQuery> ParseRowQuery(const std::multimap<std::string, std::string>& params);

//! Decides rows; one per thread (it keeps scratch buffers).
class RowMatcher {
 public:
  RowMatcher(const RowQuery& query, const ViewFields& fields) : query_(query), fields_(fields) {}
  bool Matches(const Record& record);

 private:
  bool TextMatches(const Record& record);
  bool QcMatches(const Record& record);
  bool MetricMatches(const Record& record);
  RowQuery query_;
  ViewFields fields_;
  std::string lower_;
  std::vector<std::string> reasons_;
};

//! The caption of role "fused" or reference i from a record read with the
//! viewer's reader options (Record::references = fused, then references).
const std::string& FusedCaption(const Record& record);

//! The value of a metric for a row: a numeric field, "object.member", or a
//! computed metric. False when the row has none.
bool MetricValue(const Record& record, const std::string& name, double* value);

//! A computed metric ("fusion:raw_retention", ...) from measured fusion
//! metrics. False for other names and undefined shares.
bool FusionMetricValue(const FusionItemMetrics& metrics, const std::string& name, double* value);

//! Whether a record holds `field` as a JSON string.
bool HasStringField(const Record& record, const std::string& field);

}  // namespace capsfusion::view
