// RateLimiter: a token bucket per limit (requests per minute, tokens per
// minute) shared by the threads of one backend.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace capsfusion::backend {

class RateLimiter {
 public:
  //! `per_minute` <= 0: no limit. The bucket holds `burst` units (0: one
  //! second's worth, at least 1) and starts full.
  explicit RateLimiter(double per_minute = 0, double burst = 0);

  bool enabled() const { return rate_per_s_ > 0; }

  //! Waits until `units` may be spent, then spends them. A cost larger than
  //! the bucket waits for a full bucket and leaves it in debt. Returns false
  //! (spending nothing) when `*stop` turns true while waiting.
  bool Acquire(double units, const std::atomic<bool>* stop = nullptr);
  //! Adds (or, negative, refunds) units after the fact: the real token count
  //! of an answer once it is known.
  void Adjust(double units);

 private:
  void Refill(std::chrono::steady_clock::time_point now);

  std::mutex mu_;
  double rate_per_s_ = 0;
  double capacity_ = 0;
  double level_ = 0;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace capsfusion::backend
