#include "serve/metrics.h"

#include <cinttypes>
#include <cstdio>

namespace capsfusion::serve {

namespace {

std::string Number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void Header(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Sample(std::string* out, const std::string& name, double v) { *out += name + " " + Number(v) + "\n"; }

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::Render(const std::string& name, std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    *out += name + "_bucket{le=\"" + Number(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += counts_.back();
  *out += name + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  *out += name + "_sum " + Number(sum_) + "\n";
  *out += name + "_count " + std::to_string(count_) + "\n";
}

ServeMetrics::ServeMetrics()
    : latency_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}),
      first_token_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      batch_sequences_({1, 2, 4, 8, 16, 32, 64, 128, 256}),
      batch_tokens_({1, 2, 4, 8, 16, 32, 64, 128, 256, 512}) {}

void ServeMetrics::CountRequest(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{endpoint, status}];
}

void ServeMetrics::AddTokens(uint64_t prompt, uint64_t completion) {
  prompt_tokens_ += prompt;
  completion_tokens_ += completion;
}

void ServeMetrics::ObserveLatency(double seconds) { latency_.Observe(seconds); }
void ServeMetrics::ObserveFirstToken(double seconds) { first_token_.Observe(seconds); }

void ServeMetrics::ObserveBatch(size_t sequences, size_t tokens) {
  batch_sequences_.Observe(static_cast<double>(sequences));
  batch_tokens_.Observe(static_cast<double>(tokens));
}

std::string ServeMetrics::Render(const GaugeValues& g) const {
  std::string out;
  Header(&out, "capsfusion_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, n] : requests_) {
      out += "capsfusion_requests_total{endpoint=\"" + key.first + "\",code=\"" + std::to_string(key.second) +
             "\"} " + std::to_string(n) + "\n";
    }
  }
  Header(&out, "capsfusion_prompt_tokens_total", "counter", "Prompt tokens of generation requests.");
  Sample(&out, "capsfusion_prompt_tokens_total", static_cast<double>(prompt_tokens_.load()));
  Header(&out, "capsfusion_completion_tokens_total", "counter", "Tokens generated for requests.");
  Sample(&out, "capsfusion_completion_tokens_total", static_cast<double>(completion_tokens_.load()));
  Header(&out, "capsfusion_requests_cancelled_total", "counter",
         "Generation requests ended early (client gone, timeout, shutdown).");
  Sample(&out, "capsfusion_requests_cancelled_total", static_cast<double>(cancelled_.load()));
  Header(&out, "capsfusion_prompt_tokens_cached_total", "counter",
         "Prompt tokens taken from the cached prefix of an earlier request instead of computed.");
  Sample(&out, "capsfusion_prompt_tokens_cached_total", g.prefix_tokens_reused);
  Header(&out, "capsfusion_forward_steps_total", "counter", "Forward steps of the engine.");
  Sample(&out, "capsfusion_forward_steps_total", g.forward_steps);
  Header(&out, "capsfusion_queue_depth", "gauge", "Generation requests waiting for a batch slot.");
  Sample(&out, "capsfusion_queue_depth", g.queue_depth);
  Header(&out, "capsfusion_active_sequences", "gauge", "Generation requests in the running batch.");
  Sample(&out, "capsfusion_active_sequences", g.active_sequences);
  Header(&out, "capsfusion_inflight_requests", "gauge", "Generation requests being answered (queued or running).");
  Sample(&out, "capsfusion_inflight_requests", g.http_inflight);
  Header(&out, "capsfusion_request_duration_seconds", "histogram",
         "Time from a generation request's arrival to its last byte.");
  latency_.Render("capsfusion_request_duration_seconds", &out);
  Header(&out, "capsfusion_time_to_first_token_seconds", "histogram",
         "Time from a generation request's arrival to its first generated text.");
  first_token_.Render("capsfusion_time_to_first_token_seconds", &out);
  Header(&out, "capsfusion_batch_size", "histogram", "Requests that received a token in each forward step.");
  batch_sequences_.Render("capsfusion_batch_size", &out);
  Header(&out, "capsfusion_batch_tokens", "histogram", "Tokens (prompt and decoding) in each forward step.");
  batch_tokens_.Render("capsfusion_batch_tokens", &out);
  return out;
}

}  // namespace capsfusion::serve
