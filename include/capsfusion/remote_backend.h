// The remote backend: OpenAI-compatible HTTP endpoints (vLLM, llama-server,
// TGI, hosted APIs, `capsfusion serve`) behind the Backend interface.
//
//   RemoteOptions opt;
//   opt.endpoints.push_back({"http://10.0.0.5:8000", EndpointStyle::kCompletions, "capsfusion"});
//   opt.endpoints.push_back({"http://10.0.0.6:8000", EndpointStyle::kCompletions, "capsfusion"});
//   auto backend = MakeRemoteBackend(opt);
//
// Prompts go out concurrently, up to each endpoint's concurrency, to the
// least busy healthy endpoint. Timeouts, refused connections, 408, 429 and 5xx
// are retried with exponential backoff and jitter (a Retry-After header is
// honoured), on another endpoint when there is one; an endpoint that keeps
// failing rests for a cool-down. A prompt that still fails gets its own
// Status; 401/403 (and 404: wrong URL or model) fail the whole call at once.
// The API key comes from an environment variable and appears in no message.
// See docs/remote.md.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capsfusion/backend.h"
#include "capsfusion/status.h"

namespace capsfusion {

//! Which OpenAI API a server speaks.
enum class EndpointStyle {
  kCompletions,  //!< POST .../v1/completions with "prompt"; the answer is choices[0].text
  kChat,         //!< POST .../v1/chat/completions with one user message; choices[0].message.content
};

//! "completions" or "chat".
StatusOr<EndpointStyle> ParseEndpointStyle(const std::string& name);
const char* EndpointStyleName(EndpointStyle style);

//! One server.
struct EndpointSpec {
  //! Base URL ("http://host:8000", ".../v1") or the full request URL
  //! (".../v1/completions", ".../v1/chat/completions", which also sets the style).
  std::string url;
  EndpointStyle style = EndpointStyle::kCompletions;
  std::string model;       //!< the "model" field; empty: asked from GET .../v1/models at start
  size_t concurrency = 0;  //!< requests in flight at most; 0: RemoteOptions::concurrency
  double rpm = 0;          //!< this endpoint's own requests-per-minute limit (0: none)
  double tpm = 0;          //!< this endpoint's own tokens-per-minute limit (0: none)
};

//! Parses "URL" or "URL,key=value,..." with keys style, model, concurrency,
//! rpm, tpm; values not given come from `defaults`.
StatusOr<EndpointSpec> ParseEndpointSpec(const std::string& text, const EndpointSpec& defaults);

struct RemoteOptions {
  std::vector<EndpointSpec> endpoints;
  //! Environment variable holding the API key, sent as "Authorization: Bearer".
  //! Unset or empty variable: no Authorization header (local servers).
  std::string api_key_env = "OPENAI_API_KEY";
  //! True when the user named api_key_env: then an unset variable is an error.
  bool api_key_required = false;
  size_t concurrency = 8;            //!< default requests in flight per endpoint
  double connect_timeout_s = 10;     //!< TCP/TLS connect
  double request_timeout_s = 120;    //!< whole request, connect included
  int max_retries = 8;               //!< retries after the first try (per prompt)
  double backoff_base_s = 0.5;       //!< first retry waits about this long
  double backoff_max_s = 30;         //!< no backoff wait is longer (Retry-After may be, up to retry_after_max_s)
  double retry_after_max_s = 120;    //!< a longer Retry-After is cut to this
  double rpm = 0;                    //!< requests per minute over all endpoints (0: none)
  double tpm = 0;                    //!< tokens (prompt + max_tokens) per minute over all endpoints (0: none)
  //! Consecutive failures after which an endpoint rests (cool-down from 1 s,
  //! doubling up to cooldown_max_s while it keeps failing).
  int failures_before_cooldown = 2;
  double cooldown_max_s = 15;
  //! Extra top-level fields merged into every request body, JSON values
  //! ({"use_beam_search", "true"}, {"response_format", "{...}"}).
  std::vector<std::pair<std::string, std::string>> extra_params;
  //! Seed of the backoff jitter.
  uint64_t jitter_seed = 0x5eed;
};

//! Per-endpoint counters (for logs, tests and the summary).
struct EndpointStats {
  std::string url;              //!< the request URL, without credentials
  uint64_t requests = 0;        //!< requests sent
  uint64_t successes = 0;
  uint64_t failures = 0;        //!< retryable failures (timeouts, refused, 429, 5xx, bad bodies)
  uint64_t cooldowns = 0;       //!< times it was rested
  size_t max_in_flight = 0;     //!< most requests it had in flight at once
};

//! Remote-only extras of the Backend interface.
class RemoteBackend : public Backend {
 public:
  //! Counters since the backend was made, one per endpoint.
  virtual std::vector<EndpointStats> stats() const = 0;
};

//! Checks the options, reads the API key from the environment and, for
//! endpoints without a model name, asks GET .../models. Sends nothing else.
StatusOr<std::unique_ptr<RemoteBackend>> MakeRemoteBackend(const RemoteOptions& options);

}  // namespace capsfusion
