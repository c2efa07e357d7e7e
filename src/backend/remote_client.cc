#include "backend/remote_client.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "capsfusion/tokenizer.h"

namespace capsfusion::backend {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Sleeps `seconds` in short steps; false when `stop` turned true meanwhile.
bool SleepUnlessStopped(double seconds, const std::atomic<bool>& stop) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                      std::chrono::duration<double>(seconds));
  while (std::chrono::steady_clock::now() < until) {
    if (stop.load()) return false;
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return !stop.load();
}

std::string Shorten(std::string s, size_t max) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

// The models list base: the request URL without its final /completions or /chat/completions.
std::string ApiBase(const std::string& request_url) {
  for (const char* suffix : {"/chat/completions", "/completions"}) {
    if (EndsWith(request_url, suffix)) return request_url.substr(0, request_url.size() - std::string(suffix).size());
  }
  return request_url;
}

double NowUnix() { return static_cast<double>(std::time(nullptr)); }

}  // namespace

StatusOr<std::string> RequestUrl(const std::string& url_in, EndpointStyle* style) {
  std::string url = url_in;
  size_t scheme = url.find("://");
  if (scheme == std::string::npos || (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
    return Status::InvalidArgument("endpoint " + RedactUrl(url) + ": not an http:// or https:// URL");
  }
  if (url.find_first_of(" \t\r\n") != std::string::npos) {
    return Status::InvalidArgument("endpoint " + RedactUrl(url) + ": the URL has white space in it");
  }
  while (EndsWith(url, "/")) url.pop_back();
  if (EndsWith(url, "/chat/completions")) {
    *style = EndpointStyle::kChat;
    return url;
  }
  if (EndsWith(url, "/completions")) {
    *style = EndpointStyle::kCompletions;
    return url;
  }
  size_t path = url.find('/', scheme + 3);
  if (path == std::string::npos) url += "/v1";
  return url + (*style == EndpointStyle::kChat ? "/chat/completions" : "/completions");
}

StatusOr<std::unique_ptr<RemoteClient>> RemoteClient::Make(const RemoteOptions& options) {
  std::unique_ptr<RemoteClient> c(new RemoteClient());
  c->options_ = options;
  if (options.endpoints.empty()) return Status::InvalidArgument("no endpoint given");
  if (options.max_retries < 0) return Status::InvalidArgument("--max-retries must be 0 or more");
  if (options.request_timeout_s <= 0 || options.connect_timeout_s <= 0) {
    return Status::InvalidArgument("timeouts must be positive");
  }
  if (options.rpm < 0 || options.tpm < 0) return Status::InvalidArgument("--rpm and --tpm must be 0 (no limit) or more");
  c->retry_.max_retries = options.max_retries;
  c->retry_.base_s = options.backoff_base_s;
  c->retry_.max_s = options.backoff_max_s;
  c->retry_.retry_after_max_s = options.retry_after_max_s;

  if (!options.api_key_env.empty()) {
    const char* key = std::getenv(options.api_key_env.c_str());
    if (key != nullptr && *key != '\0') {
      c->api_key_ = key;
    } else if (options.api_key_required) {
      return Status::InvalidArgument("environment variable " + options.api_key_env +
                                     " (the API key, --api-key-env) is not set or empty");
    }
  }
  if (c->api_key_.find_first_of("\r\n") != std::string::npos) {
    return Status::InvalidArgument("the API key in $" + options.api_key_env + " has a line break in it");
  }
  c->headers_.push_back("Content-Type: application/json");
  c->headers_.push_back("Accept: application/json");
  if (!c->api_key_.empty()) c->headers_.push_back("Authorization: Bearer " + c->api_key_);

  std::vector<EndpointPool::Config> configs;
  for (const EndpointSpec& spec : options.endpoints) {
    EndpointPool::Config cfg;
    cfg.style = spec.style;
    auto url = RequestUrl(spec.url, &cfg.style);
    if (!url.ok()) return url.status();
    cfg.url = *url;
    cfg.model = spec.model;
    cfg.concurrency = spec.concurrency > 0 ? spec.concurrency : options.concurrency;
    if (cfg.concurrency == 0) return Status::InvalidArgument("endpoint " + RedactUrl(cfg.url) + ": concurrency must be 1 or more");
    cfg.rpm = spec.rpm;
    cfg.tpm = spec.tpm;
    if (cfg.model.empty()) {
      // Ask the server which model it serves (vLLM, llama-server and OpenAI list them).
      HttpClient http;
      HttpRequest req;
      req.url = ApiBase(cfg.url) + "/models";
      req.get = true;
      req.headers = c->headers_;
      req.connect_timeout_s = options.connect_timeout_s;
      req.timeout_s = std::min(options.request_timeout_s, 30.0);
      HttpResponse r = http.Send(req);
      std::string why;
      if (r.transport != HttpResponse::Transport::kOk) {
        why = r.transport_error;
      } else if (r.status == 401 || r.status == 403) {
        return Status::InvalidArgument("endpoint " + RedactUrl(req.url) + ": HTTP " + std::to_string(r.status) +
                                       ": authentication refused (check the API key in $" + options.api_key_env + ")");
      } else if (r.status != 200) {
        why = "HTTP " + std::to_string(r.status);
      } else {
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        if (j.is_object() && j.contains("data") && j["data"].is_array() && !j["data"].empty() &&
            j["data"][0].is_object() && j["data"][0].contains("id") && j["data"][0]["id"].is_string()) {
          cfg.model = j["data"][0]["id"].get<std::string>();
        } else {
          why = "no model in the answer";
        }
      }
      if (cfg.model.empty()) {
        return Status::Unavailable("endpoint " + RedactUrl(cfg.url) + ": no --endpoint-model given and GET " +
                                   RedactUrl(req.url) + " did not name one (" + c->Scrub(why) + ")");
      }
    }
    c->urls_.push_back(RedactUrl(cfg.url));
    configs.push_back(std::move(cfg));
  }
  c->pool_ = std::make_unique<EndpointPool>(std::move(configs), options.failures_before_cooldown, options.cooldown_max_s);
  c->rpm_ = std::make_unique<RateLimiter>(options.rpm);
  c->tpm_ = std::make_unique<RateLimiter>(options.tpm);
  return c;
}

std::vector<std::string> RemoteClient::models() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < pool_->size(); ++i) out.push_back(pool_->config(i).model);
  return out;
}

std::vector<EndpointStyle> RemoteClient::styles() const {
  std::vector<EndpointStyle> out;
  for (size_t i = 0; i < pool_->size(); ++i) out.push_back(pool_->config(i).style);
  return out;
}

std::string RemoteClient::Scrub(std::string text) const {
  if (api_key_.empty()) return text;
  for (size_t p = text.find(api_key_); p != std::string::npos; p = text.find(api_key_, p)) {
    text.replace(p, api_key_.size(), "[API key]");
  }
  return text;
}

std::string RemoteClient::BuildBody(const RemoteCall& call, int endpoint) const {
  const EndpointPool::Config& cfg = pool_->config(endpoint);
  nlohmann::json body = nlohmann::json::object();
  body["model"] = cfg.model;
  if (cfg.style == EndpointStyle::kChat) {
    nlohmann::json msg = {{"role", "user"}};
    msg["content"] = call.chat_content.is_null() ? nlohmann::json(call.prompt) : call.chat_content;
    body["messages"] = nlohmann::json::array({msg});
  } else {
    body["prompt"] = call.prompt;
  }
  for (auto it = call.params.begin(); it != call.params.end(); ++it) body[it.key()] = it.value();
  for (const auto& [k, v] : options_.extra_params) {
    auto j = nlohmann::json::parse(v, nullptr, false);
    body[k] = j.is_discarded() ? nlohmann::json(v) : j;
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool RemoteClient::ParseAnswer(const std::string& body, EndpointStyle style, RemoteReply* reply, std::string* error) const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *error = "the answer is not JSON: " + Shorten(Scrub(body), 120);
    return false;
  }
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty() || !j["choices"][0].is_object()) {
    *error = "the answer has no choices: " + Shorten(Scrub(body), 120);
    return false;
  }
  const nlohmann::json& c = j["choices"][0];
  const nlohmann::json* text = nullptr;
  if (style == EndpointStyle::kChat) {
    if (c.contains("message") && c["message"].is_object() && c["message"].contains("content")) text = &c["message"]["content"];
  } else if (c.contains("text")) {
    text = &c["text"];
  }
  if (text == nullptr) {
    *error = std::string("the answer has no ") + (style == EndpointStyle::kChat ? "choices[0].message.content" : "choices[0].text");
    return false;
  }
  if (text->is_string()) {
    reply->text = text->get<std::string>();
  } else if (text->is_array()) {  // content parts
    for (const auto& part : *text) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) reply->text += part["text"].get<std::string>();
    }
  } else if (!text->is_null()) {
    *error = "the answer's text is not a string";
    return false;
  }
  if (c.contains("finish_reason") && c["finish_reason"].is_string()) reply->finish_reason = c["finish_reason"].get<std::string>();
  if (j.contains("usage") && j["usage"].is_object()) {
    const auto& u = j["usage"];
    if (u.contains("prompt_tokens") && u["prompt_tokens"].is_number_unsigned()) reply->prompt_tokens = u["prompt_tokens"].get<size_t>();
    if (u.contains("completion_tokens") && u["completion_tokens"].is_number_unsigned()) {
      reply->completion_tokens = u["completion_tokens"].get<size_t>();
    }
  }
  return true;
}

std::string RemoteClient::ErrorText(const HttpResponse& r) const {
  if (r.transport != HttpResponse::Transport::kOk) return r.transport_error;
  std::string what = "HTTP " + std::to_string(r.status);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string detail;
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      detail = e["message"].get<std::string>();
    } else if (e.is_string()) {
      detail = e.get<std::string>();
    }
  } else if (!r.body.empty() && !j.is_discarded()) {
    detail = r.body;
  } else if (!r.body.empty()) {
    detail = r.body;
  }
  if (!detail.empty()) what += ": " + Shorten(Scrub(detail), 200);
  return what;
}

RemoteReply RemoteClient::RunOne(const RemoteCall& call, size_t index) {
  RemoteReply reply;
  std::mt19937_64 rng(options_.jitter_seed ^ (0x9e3779b97f4a7c15ULL * (index + 1)));
  int avoid = -1;
  std::string last_error;
  for (int attempt = 1;; ++attempt) {
    if (!rpm_->Acquire(1, &stop_) || !tpm_->Acquire(call.estimated_tokens, &stop_)) {
      reply.status = Status::Unavailable("stopped");
      return reply;
    }
    EndpointPool::Lease lease = pool_->Acquire(avoid);
    if (!lease.valid()) {
      reply.status = Status::Unavailable("stopped");
      return reply;
    }
    const int ep = lease.index;
    const EndpointPool::Config& cfg = pool_->config(ep);
    if (!pool_->request_limiter(ep).Acquire(1, &stop_) || !pool_->token_limiter(ep).Acquire(call.estimated_tokens, &stop_)) {
      pool_->Release(std::move(lease), Outcome::kFail, -1);
      reply.status = Status::Unavailable("stopped");
      return reply;
    }
    HttpRequest req;
    req.url = cfg.url;
    req.headers = headers_;
    req.body = BuildBody(call, ep);
    req.connect_timeout_s = options_.connect_timeout_s;
    req.timeout_s = options_.request_timeout_s;
    HttpResponse resp = lease.client->Send(req);
    reply.attempts = attempt;
    reply.endpoint = ep;
    Outcome outcome = Classify(resp);
    std::string parse_error;
    if (outcome == Outcome::kSuccess && !ParseAnswer(resp.body, cfg.style, &reply, &parse_error)) outcome = Outcome::kRetry;
    double retry_after = -1;
    if (outcome == Outcome::kRetry && resp.transport == HttpResponse::Transport::kOk) {
      retry_after = ParseRetryAfter(resp.retry_after, NowUnix());
      if (retry_after > options_.retry_after_max_s) retry_after = options_.retry_after_max_s;
    }
    pool_->Release(std::move(lease), outcome, retry_after);
    const std::string where = "endpoint " + urls_[ep];
    switch (outcome) {
      case Outcome::kSuccess: {
        if (reply.completion_tokens > 0 || reply.prompt_tokens > 0) {
          double actual = static_cast<double>(reply.prompt_tokens + reply.completion_tokens);
          tpm_->Adjust(actual - call.estimated_tokens);
          pool_->token_limiter(ep).Adjust(actual - call.estimated_tokens);
        }
        reply.status = Status::OK();
        return reply;
      }
      case Outcome::kFatal: {
        std::string msg = where + ": " + (resp.status == 401 || resp.status == 403
                                              ? "HTTP " + std::to_string(resp.status) +
                                                    ": authentication refused (check the API key in $" +
                                                    options_.api_key_env + " and its access to model " + cfg.model + ")"
                                              : ErrorText(resp) + " (wrong URL or model name " + cfg.model + "?)");
        {
          std::lock_guard<std::mutex> lock(fatal_mu_);
          if (fatal_.ok()) fatal_ = Status::InvalidArgument(msg);
        }
        stop_ = true;
        pool_->Stop();
        reply.status = Status::InvalidArgument(msg);
        return reply;
      }
      case Outcome::kFail:
        reply.status = Status::InvalidArgument(where + " refused the request: " + ErrorText(resp));
        return reply;
      case Outcome::kRetry:
        break;
    }
    last_error = parse_error.empty() ? ErrorText(resp) : parse_error;
    if (attempt > options_.max_retries) {
      reply.status = Status::Unavailable("no answer after " + std::to_string(attempt) + " tries; last: " + where + ": " + last_error);
      return reply;
    }
    avoid = ep;
    if (!SleepUnlessStopped(retry_.Delay(attempt, retry_after, &rng), stop_)) {
      reply.status = Status::Unavailable("stopped");
      return reply;
    }
  }
}

StatusOr<std::vector<RemoteReply>> RemoteClient::Run(const std::vector<RemoteCall>& calls) {
  std::vector<RemoteReply> replies(calls.size());
  if (calls.empty()) return replies;
  stop_ = false;
  pool_->Restart();
  {
    std::lock_guard<std::mutex> lock(fatal_mu_);
    fatal_ = Status::OK();
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= calls.size() || stop_.load()) return;
      replies[i] = RunOne(calls[i], i);
    }
  };
  size_t n = std::min(calls.size(), pool_->total_concurrency());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n; ++t) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  std::lock_guard<std::mutex> lock(fatal_mu_);
  if (!fatal_.ok()) return fatal_;
  return replies;
}

}  // namespace capsfusion::backend
