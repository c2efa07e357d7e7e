// ServeMetrics: the counters, gauges and histograms of `capsfusion serve`,
// written in the Prometheus text exposition format (version 0.0.4) for
// GET /metrics. Thread-safe: request threads and the engine thread record,
// any thread renders.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace capsfusion::serve {

//! A cumulative histogram with fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  //! Appends the _bucket, _sum and _count lines of metric `name`.
  void Render(const std::string& name, std::string* out) const;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last: +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

//! Gauges read when rendering (from the scheduler).
struct GaugeValues {
  double queue_depth = 0;       //!< requests waiting for a batch slot
  double active_sequences = 0;  //!< requests in the running batch
  double http_inflight = 0;     //!< generation requests being answered
  double forward_steps = 0;     //!< engine forward steps so far (a counter)
  double prefix_tokens_reused = 0;  //!< prompt tokens taken from the cached prefix (a counter)
};

class ServeMetrics {
 public:
  ServeMetrics();

  //! One finished HTTP request: endpoint ("completions", "chat", "models",
  //! "health", "metrics", "other") and status code.
  void CountRequest(const std::string& endpoint, int status);
  void AddTokens(uint64_t prompt, uint64_t completion);
  void ObserveLatency(double seconds);
  void ObserveFirstToken(double seconds);
  void ObserveBatch(size_t sequences, size_t tokens);
  void CountCancelled() { ++cancelled_; }

  std::string Render(const GaugeValues& gauges) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  std::atomic<uint64_t> prompt_tokens_{0}, completion_tokens_{0}, cancelled_{0};
  Histogram latency_, first_token_, batch_sequences_, batch_tokens_;
};

}  // namespace capsfusion::serve
