// RetentionWorker: measures the per-row fusion metrics (MeasureFusion, the
// costliest statistic) on a thread of its own while the caller goes on with
// the other statistics. Batches are measured in the order they were added,
// so the sums, and the report, are the same on every run. Internal to
// src/report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "capsfusion/fusion_metrics.h"
#include "report/batch_worker.h"

namespace capsfusion::report {

class RetentionWorker {
 public:
  RetentionWorker();

  //! Queues one triplet (copied).
  void Add(std::string_view raw, std::string_view synthetic, std::string_view fused);
  //! Waits for everything queued, then fills `*out` (measured stays false
  //! when no triplet was added).
  void Summarise(RetentionSummary* out);

 private:
  struct Triplet {
    std::string raw, synthetic, fused;
  };
  static constexpr size_t kBatch = 2048;
  void Measure(const std::vector<Triplet>& batch);

  // Written by the worker only, read after a drain.
  FusionCorpusMetrics metrics_;
  uint64_t raw_bins_[10] = {}, synthetic_bins_[10] = {};
  std::vector<Triplet> filling_;
  BatchWorker<std::vector<Triplet>> worker_;  // last: stopped before the members it uses go
};

}  // namespace capsfusion::report
