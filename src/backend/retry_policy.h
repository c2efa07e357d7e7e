// RetryPolicy: which HTTP outcomes are worth another try, and how long to
// wait before it (exponential backoff with jitter, Retry-After honoured).
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "backend/http_client.h"

namespace capsfusion::backend {

//! What to do with one response.
enum class Outcome {
  kSuccess,  //!< 2xx
  kRetry,    //!< timeouts, refused or broken connections, 408, 409, 425, 429, 5xx
  kFail,     //!< this request is bad (400, 413, 422, ...): give up on it, go on with others
  kFatal,    //!< 401, 403, 404: the configuration is wrong, stop everything
};

//! The outcome of a transport result and HTTP status.
Outcome Classify(const HttpResponse& response);

//! Seconds a Retry-After value asks for: delta-seconds ("7", "1.5") or an
//! HTTP-date (RFC 9110; relative to `now_unix`). Negative when absent or unreadable.
double ParseRetryAfter(const std::string& value, double now_unix);

struct RetryPolicy {
  int max_retries = 8;
  double base_s = 0.5;
  double max_s = 30;
  double retry_after_max_s = 120;

  //! Wait before retry number `retry` (1-based): equal jitter, uniform in
  //! [d/2, d] with d = min(max_s, base_s * 2^(retry-1)). A Retry-After of r
  //! seconds makes it at least min(r, retry_after_max_s).
  double Delay(int retry, double retry_after_s, std::mt19937_64* rng) const;
};

}  // namespace capsfusion::backend
