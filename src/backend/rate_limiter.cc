#include "backend/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace capsfusion::backend {

RateLimiter::RateLimiter(double per_minute, double burst) {
  if (per_minute <= 0) return;
  rate_per_s_ = per_minute / 60.0;
  capacity_ = burst > 0 ? burst : std::max(1.0, rate_per_s_);
  level_ = capacity_;
  last_ = std::chrono::steady_clock::now();
}

void RateLimiter::Refill(std::chrono::steady_clock::time_point now) {
  double dt = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  level_ = std::min(capacity_, level_ + dt * rate_per_s_);
}

bool RateLimiter::Acquire(double units, const std::atomic<bool>* stop) {
  if (!enabled()) return true;
  for (;;) {
    double wait_s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Refill(std::chrono::steady_clock::now());
      double need = std::min(units, capacity_);
      if (level_ >= need) {
        level_ -= units;
        return true;
      }
      wait_s = (need - level_) / rate_per_s_;
    }
    if (stop != nullptr && stop->load()) return false;
    // Sleep in short steps so that a stop request is seen soon.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wait_s, 0.05)));
  }
}

void RateLimiter::Adjust(double units) {
  if (!enabled()) return;
  std::lock_guard<std::mutex> lock(mu_);
  Refill(std::chrono::steady_clock::now());
  level_ = std::min(capacity_, level_ - units);
}

}  // namespace capsfusion::backend
