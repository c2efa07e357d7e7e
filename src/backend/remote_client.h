// RemoteClient: the part of a remote backend that does not care what is
// asked. It sends many OpenAI-style requests concurrently over an
// EndpointPool, with rate limits, retries, failover and fatal-error stop,
// and pulls the answer text out of each response. RemoteBackend (text
// prompts) and VisionCaptioner (images) build their requests on it.
#pragma once

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/endpoint_pool.h"
#include "backend/rate_limiter.h"
#include "backend/retry_policy.h"
#include "capsfusion/backend.h"
#include "capsfusion/remote_backend.h"

namespace capsfusion::backend {

//! One request, independent of the endpoint it lands on.
struct RemoteCall {
  std::string prompt;            //!< completions: "prompt"; chat: the user message's text
  //! Chat: the user message's content when it is not plain text (an array of
  //! parts, e.g. text plus image_url). Null: `prompt`.
  nlohmann::json chat_content;
  nlohmann::json params = nlohmann::json::object();  //!< max_tokens, temperature, ...
  double estimated_tokens = 0;   //!< for the tokens-per-minute limit
};

//! One request's outcome.
struct RemoteReply {
  Status status;
  std::string text;
  std::string finish_reason;
  size_t prompt_tokens = 0;      //!< from "usage" (0 when absent)
  size_t completion_tokens = 0;  //!< from "usage" (0 when absent)
  int attempts = 0;
  int endpoint = -1;             //!< the endpoint that answered
};

class RemoteClient {
 public:
  //! Checks `options` (URLs, styles, limits), reads the API key and asks
  //! GET .../models for endpoints without a model name.
  static StatusOr<std::unique_ptr<RemoteClient>> Make(const RemoteOptions& options);

  //! Sends every call; replies in the order of `calls`. Only a fatal answer
  //! (401, 403, 404) fails the whole run, after the requests in flight end.
  StatusOr<std::vector<RemoteReply>> Run(const std::vector<RemoteCall>& calls);

  const std::vector<std::string>& endpoint_urls() const { return urls_; }  //!< without credentials
  std::vector<std::string> models() const;
  std::vector<EndpointStyle> styles() const;
  size_t total_concurrency() const { return pool_->total_concurrency(); }
  std::vector<EndpointStats> stats() const { return pool_->stats(); }
  //! `text` with the API key replaced by "[API key]".
  std::string Scrub(std::string text) const;

 private:
  RemoteClient() = default;
  RemoteReply RunOne(const RemoteCall& call, size_t index);
  std::string BuildBody(const RemoteCall& call, int endpoint) const;
  //! Parses a 2xx body; false with *error set when it is not an answer.
  bool ParseAnswer(const std::string& body, EndpointStyle style, RemoteReply* reply, std::string* error) const;
  std::string ErrorText(const HttpResponse& r) const;

  RemoteOptions options_;
  RetryPolicy retry_;
  std::string api_key_;
  std::vector<std::string> headers_;
  std::vector<std::string> urls_;
  std::unique_ptr<EndpointPool> pool_;
  std::unique_ptr<RateLimiter> rpm_, tpm_;  // over all endpoints
  std::atomic<bool> stop_{false};
  std::mutex fatal_mu_;
  Status fatal_;
};

//! The request URL for `url` and `style`: a URL that already ends in
//! /completions or /chat/completions is kept (and sets *style: the URL wins); otherwise
//! "/v1" is added when the path is empty, then the style's path.
StatusOr<std::string> RequestUrl(const std::string& url, EndpointStyle* style);

}  // namespace capsfusion::backend
