// `capsfusion fuse --dry-run`: from a short sample fused at the head of the
// input, the size of the whole job: rows (counted, or estimated from file
// sizes for huge inputs), compute hours, wall time for W workers and cost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/reader.h"
#include "capsfusion/status.h"

namespace capsfusion {

struct InputRowCount {
  uint64_t rows = 0;
  bool estimated = false;  //!< from file sizes and the sample's bytes per row
  std::string how;         //!< "counted" or what the estimate assumed
};

//! Counts the input rows (rejected ones too) when the inputs total at most
//! `count_limit_bytes`; otherwise estimates rows from the file sizes and the
//! sample (`sample_rows` rows in `sample_bytes` input bytes).
StatusOr<InputRowCount> CountInputRows(const std::vector<std::string>& inputs, const ReaderOptions& options,
                                       uint64_t count_limit_bytes, uint64_t sample_rows, uint64_t sample_bytes);

struct DryRunFigures {
  uint64_t sample_rows = 0, sample_tokens = 0;
  double sample_seconds = 0;
  InputRowCount total;
  std::string unit = "core";   //!< "core", "GPU" or "endpoint": what one hour is counted in
  double units_per_worker = 1;  //!< cores per worker (core), else 1
  uint32_t workers = 1;
  double price_per_hour = 0;   //!< per unit-hour; 0: no cost line
};

//! The projection as JSON: rows_per_s, tokens_per_s, total_rows, <unit>_hours,
//! wall_seconds, cost.
nlohmann::ordered_json ProjectDryRun(const DryRunFigures& f);
//! The same for people, a few lines.
std::string DescribeDryRun(const nlohmann::ordered_json& projection);

}  // namespace capsfusion
