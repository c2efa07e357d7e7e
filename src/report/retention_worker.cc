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

RetentionWorker::RetentionWorker() { filling_.reserve(kBatch); }

RetentionWorker::~RetentionWorker() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionWorker::Add(const std::string& raw, const std::string& synthetic, const std::string& fused) {
  filling_.push_back(Triplet{raw, synthetic, fused});
  if (filling_.size() < kBatch) return;
  std::unique_lock<std::mutex> lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  cv_.wait(lock, [this] { return queue_.size() < kMaxQueued; });
  queue_.push_back(std::move(filling_));
  filling_ = std::vector<Triplet>();
  filling_.reserve(kBatch);
  lock.unlock();
  cv_.notify_all();
}

void RetentionWorker::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
    if (queue_.empty()) return;  // closing
    std::vector<Triplet> batch = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    cv_.notify_all();
    Measure(batch);
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
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
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  }
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
