#include "backend/endpoint_pool.h"

#include <algorithm>

namespace capsfusion::backend {

using Clock = std::chrono::steady_clock;

EndpointPool::EndpointPool(std::vector<Config> endpoints, int failures_before_cooldown, double cooldown_max_s)
    : failures_before_cooldown_(std::max(1, failures_before_cooldown)), cooldown_max_s_(std::max(0.0, cooldown_max_s)) {
  for (Config& c : endpoints) eps_.push_back(std::make_unique<Endpoint>(std::move(c)));
}

EndpointPool::Endpoint::Endpoint(Config c) : config(std::move(c)), rpm(config.rpm), tpm(config.tpm) {
  config.concurrency = std::max<size_t>(1, config.concurrency);
  stats.url = RedactUrl(config.url);
}

size_t EndpointPool::total_concurrency() const {
  size_t n = 0;
  for (const auto& e : eps_) n += e->config.concurrency;
  return n;
}

EndpointPool::Lease EndpointPool::Acquire(int avoid) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return Lease{};
    const Clock::time_point now = Clock::now();
    int best = -1, fallback = -1;
    double best_load = 0;
    Clock::time_point wake = Clock::time_point::max();
    bool others_healthy = false;
    for (size_t k = 0; k < eps_.size(); ++k) {
      size_t i = (round_robin_ + k) % eps_.size();
      Endpoint& e = *eps_[i];
      bool resting = e.rest_until > now;
      if (resting) {
        wake = std::min(wake, e.rest_until);
        continue;
      }
      if (static_cast<int>(i) != avoid) others_healthy = true;
      if (e.in_flight >= e.config.concurrency) continue;
      if (static_cast<int>(i) == avoid) {
        fallback = static_cast<int>(i);
        continue;
      }
      double load = static_cast<double>(e.in_flight) / static_cast<double>(e.config.concurrency);
      if (best < 0 || load < best_load) {
        best = static_cast<int>(i);
        best_load = load;
      }
    }
    if (best < 0 && fallback >= 0 && !others_healthy) best = fallback;
    if (best >= 0) {
      round_robin_ = (static_cast<size_t>(best) + 1) % eps_.size();
      Endpoint& e = *eps_[best];
      ++e.in_flight;
      e.stats.max_in_flight = std::max(e.stats.max_in_flight, e.in_flight);
      ++e.stats.requests;
      Lease lease;
      lease.index = best;
      if (!e.idle_clients.empty()) {
        lease.client = std::move(e.idle_clients.back());
        e.idle_clients.pop_back();
      } else {
        lease.client = std::make_unique<HttpClient>();
      }
      return lease;
    }
    if (wake == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, wake);
    }
  }
}

void EndpointPool::Release(Lease lease, Outcome outcome, double retry_after_s) {
  if (!lease.valid()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Endpoint& e = *eps_[lease.index];
    --e.in_flight;
    e.idle_clients.push_back(std::move(lease.client));
    const Clock::time_point now = Clock::now();
    if (outcome == Outcome::kSuccess || outcome == Outcome::kFail) {
      if (outcome == Outcome::kSuccess) ++e.stats.successes;
      e.consecutive_failures = 0;
      e.cooldown_s = 1;
    } else if (outcome == Outcome::kRetry) {
      ++e.stats.failures;
      if (++e.consecutive_failures >= failures_before_cooldown_ && e.rest_until <= now) {
        e.rest_until = now + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(std::min(e.cooldown_s, cooldown_max_s_)));
        e.cooldown_s = std::min(cooldown_max_s_, e.cooldown_s * 2);
        ++e.stats.cooldowns;
      }
    }
    if (retry_after_s > 0) {
      auto until = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(retry_after_s));
      e.rest_until = std::max(e.rest_until, until);
    }
  }
  cv_.notify_all();
}

void EndpointPool::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool EndpointPool::stopped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void EndpointPool::Restart() {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = false;
}

std::vector<EndpointStats> EndpointPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<EndpointStats> out;
  for (const auto& e : eps_) out.push_back(e->stats);
  return out;
}

}  // namespace capsfusion::backend
