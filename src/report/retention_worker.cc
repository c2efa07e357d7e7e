#include "report/retention_worker.h"

#include <algorithm>

namespace capsfusion::report {

namespace {

void AddTenth(double v, uint64_t* bins) { ++bins[std::min(9, std::max(0, static_cast<int>(v * 10)))]; }

std::vector<StatsBin> TenthBins(const uint64_t* bins) {
  std::vector<StatsBin> out;
  for (int i = 0; i < 10; ++i) out.push_back(StatsBin{i / 10.0, (i + 1) / 10.0, bins[i]});
  return out;
}

}  // namespace

RetentionWorker::RetentionWorker() : worker_([this](std::vector<Triplet>& batch) { Measure(batch); }, 4) {
  filling_.reserve(kBatch);
}

void RetentionWorker::Add(std::string_view raw, std::string_view synthetic, std::string_view fused) {
  filling_.push_back(Triplet{std::string(raw), std::string(synthetic), std::string(fused)});
  if (filling_.size() < kBatch) return;
  worker_.Push(std::move(filling_));
  filling_ = std::vector<Triplet>();
  filling_.reserve(kBatch);
}

void RetentionWorker::Measure(const std::vector<Triplet>& batch) {
  for (const Triplet& t : batch) {
    const FusionItemMetrics m = MeasureFusion(t.raw, t.synthetic, t.fused);
    metrics_.Add(m);
    if (m.raw_retention.defined()) AddTenth(m.raw_retention.value(), raw_bins_);
    if (m.synthetic_retention.defined()) AddTenth(m.synthetic_retention.value(), synthetic_bins_);
  }
}

void RetentionWorker::Summarise(RetentionSummary* t) {
  worker_.Drain();
  // The worker is idle: measure the partial batch here, in order.
  Measure(filling_);
  filling_.clear();
  if (metrics_.items() == 0) return;
  const FusionCorpusSummary f = metrics_.Summary();
  t->measured = true;
  t->rows = f.items;
  t->raw = f.raw_retention;
  t->raw_rows = f.raw_retention_items;
  t->proper = f.proper_retention;
  t->proper_rows = f.proper_retention_items;
  t->number = f.number_retention;
  t->number_rows = f.number_retention_items;
  t->synthetic = f.synthetic_retention;
  t->synthetic_rows = f.synthetic_retention_items;
  t->novel = f.novel_rate;
  t->novel_rows = f.novel_rate_items;
  t->prompt_leaks = f.prompt_leaks;
  t->concatenations = f.concatenations;
  t->empty = f.empty;
  t->raw_bins = TenthBins(raw_bins_);
  t->synthetic_bins = TenthBins(synthetic_bins_);
}

}  // namespace capsfusion::report
