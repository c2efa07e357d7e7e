#include "backend/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>

namespace capsfusion::backend {

Outcome Classify(const HttpResponse& r) {
  if (r.transport != HttpResponse::Transport::kOk) return Outcome::kRetry;
  long s = r.status;
  if (s >= 200 && s < 300) return Outcome::kSuccess;
  if (s == 401 || s == 403 || s == 404) return Outcome::kFatal;
  if (s == 408 || s == 409 || s == 425 || s == 429 || s >= 500) return Outcome::kRetry;
  return Outcome::kFail;
}

double ParseRetryAfter(const std::string& value, double now_unix) {
  if (value.empty()) return -1;
  char* end = nullptr;
  double secs = std::strtod(value.c_str(), &end);
  if (end != value.c_str() && *end == '\0') return secs >= 0 ? secs : -1;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  struct tm tm = {};
  const char* p = strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
  if (p == nullptr) return -1;
  double when = static_cast<double>(timegm(&tm));
  return std::max(0.0, when - now_unix);
}

double RetryPolicy::Delay(int retry, double retry_after_s, std::mt19937_64* rng) const {
  double d = base_s * std::pow(2.0, std::max(0, retry - 1));
  d = std::min(max_s, d);
  std::uniform_real_distribution<double> u(0.5, 1.0);
  double wait = d * u(*rng);
  if (retry_after_s >= 0) wait = std::max(wait, std::min(retry_after_s, retry_after_max_s));
  return wait;
}

}  // namespace capsfusion::backend
