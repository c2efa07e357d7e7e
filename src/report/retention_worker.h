// RetentionWorker: measures the per-row fusion metrics (MeasureFusion, the
// costliest statistic) on a thread of its own while the caller goes on with
// the other statistics. Batches are measured in the order they were added,
// so the sums, and the report, are the same on every run. Internal to
// src/report.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "capsfusion/fusion_metrics.h"

namespace capsfusion::report {

class RetentionWorker {
 public:
  RetentionWorker();
  ~RetentionWorker();
  RetentionWorker(const RetentionWorker&) = delete;
  RetentionWorker& operator=(const RetentionWorker&) = delete;

  //! Queues one triplet (copied).
  void Add(const std::string& raw, const std::string& synthetic, const std::string& fused);
  //! Waits for everything queued, then fills `*out` (measured stays false
  //! when no triplet was added).
  void Summarise(RetentionSummary* out);

 private:
  struct Triplet {
    std::string raw, synthetic, fused;
  };
  static constexpr size_t kBatch = 2048;
  static constexpr size_t kMaxQueued = 4;  // batches waiting: bounds the memory held
  void Run();
  void Measure(const std::vector<Triplet>& batch);

  std::vector<Triplet> filling_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::vector<Triplet>> queue_;
  bool busy_ = false;
  bool closing_ = false;
  std::thread thread_;
  // Written by the worker only, read after a drain.
  FusionCorpusMetrics metrics_;
  uint64_t raw_bins_[10] = {}, synthetic_bins_[10] = {};
};

}  // namespace capsfusion::report
