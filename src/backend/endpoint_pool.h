// EndpointPool: the servers of a remote backend, their concurrency slots and
// health. Acquire() hands out a slot on the least busy endpoint that is not
// resting; an endpoint that fails again and again rests for a cool-down
// (1 s, doubling while it keeps failing), and a 429 with Retry-After rests it
// for that long. Connections (HttpClient) are kept per endpoint and reused.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/http_client.h"
#include "backend/rate_limiter.h"
#include "backend/retry_policy.h"
#include "capsfusion/remote_backend.h"

namespace capsfusion::backend {

class EndpointPool {
 public:
  struct Config {
    std::string url;       //!< request URL (with credentials, if the user gave any)
    EndpointStyle style = EndpointStyle::kCompletions;
    std::string model;
    size_t concurrency = 1;
    double rpm = 0, tpm = 0;
  };

  //! A slot on one endpoint, with a connection to use while it is held.
  struct Lease {
    int index = -1;
    std::unique_ptr<HttpClient> client;
    bool valid() const { return index >= 0; }
  };

  EndpointPool(std::vector<Config> endpoints, int failures_before_cooldown, double cooldown_max_s);

  size_t size() const { return eps_.size(); }
  const Config& config(size_t i) const { return eps_[i]->config; }
  size_t total_concurrency() const;

  //! Waits for a free slot on an endpoint that is not resting. `avoid` (an
  //! index, or -1) is taken only when no other endpoint has a slot or all
  //! others rest. Returns an invalid lease once Stop() was called.
  Lease Acquire(int avoid);
  //! Gives the slot back with the request's outcome (kSuccess resets the
  //! endpoint's failure count; kRetry counts a failure). `retry_after_s` >= 0
  //! rests the endpoint at least that long.
  void Release(Lease lease, Outcome outcome, double retry_after_s);
  //! Per-endpoint rate limits (requests, tokens).
  RateLimiter& request_limiter(int index) { return eps_[index]->rpm; }
  RateLimiter& token_limiter(int index) { return eps_[index]->tpm; }

  //! Wakes every waiter; Acquire returns invalid leases from now on.
  void Stop();
  bool stopped() const;
  //! Lifts a Stop() (the next Generate call starts fresh).
  void Restart();

  std::vector<EndpointStats> stats() const;

 private:
  struct Endpoint {
    explicit Endpoint(Config c);
    Config config;
    size_t in_flight = 0;
    int consecutive_failures = 0;
    double cooldown_s = 1;
    std::chrono::steady_clock::time_point rest_until{};
    std::vector<std::unique_ptr<HttpClient>> idle_clients;
    EndpointStats stats;
    RateLimiter rpm, tpm;
  };

  std::vector<std::unique_ptr<Endpoint>> eps_;
  int failures_before_cooldown_;
  double cooldown_max_s_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  size_t round_robin_ = 0;
};

}  // namespace capsfusion::backend
