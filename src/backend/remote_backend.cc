// The remote backend: text prompts to OpenAI-compatible endpoints through a
// RemoteClient (concurrency, retries, failover, rate limits).
#include "capsfusion/remote_backend.h"

#include <algorithm>
#include <cstdlib>

#include "backend/remote_client.h"

namespace capsfusion {

namespace {

using backend::RemoteCall;
using backend::RemoteClient;
using backend::RemoteReply;

class RemoteBackendImpl final : public RemoteBackend {
 public:
  explicit RemoteBackendImpl(std::unique_ptr<RemoteClient> client)
      : client_(std::move(client)), tokenizer_(MakeApproximateTokenizer()) {
    info_.kind = "remote";
    std::vector<std::string> models = client_->models();
    std::vector<std::string> distinct;
    for (const std::string& m : models) {
      if (std::find(distinct.begin(), distinct.end(), m) == distinct.end()) distinct.push_back(m);
    }
    for (size_t i = 0; i < distinct.size(); ++i) info_.model += (i ? "," : "") + distinct[i];
    info_.endpoints = client_->endpoint_urls();
  }

  const BackendInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  size_t preferred_batch() const override { return std::max<size_t>(1, client_->total_concurrency() * 4); }
  std::vector<EndpointStats> stats() const override { return client_->stats(); }

  StatusOr<std::vector<BackendResult>> Generate(const std::vector<std::string>& prompts,
                                                const GenerateOptions& options) override {
    std::vector<RemoteCall> calls(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      RemoteCall& c = calls[i];
      c.prompt = prompts[i];
      nlohmann::json& p = c.params;
      p["max_tokens"] = options.max_new_tokens;
      p["temperature"] = options.temperature;
      if (options.temperature > 0) {
        if (options.top_p < 1.0f) p["top_p"] = options.top_p;
        if (options.top_k > 0) p["top_k"] = options.top_k;  // vLLM, llama-server, TGI
        p["seed"] = options.seed + i;
      }
      if (options.repetition_penalty != 1.0f) p["repetition_penalty"] = options.repetition_penalty;  // vLLM, llama-server
      if (!options.stop.empty()) p["stop"] = options.stop;
      c.estimated_tokens = static_cast<double>(tokenizer_->CountTokens(prompts[i], true) +
                                               static_cast<size_t>(std::max(0, options.max_new_tokens)));
    }
    auto replies = client_->Run(calls);
    if (!replies.ok()) return replies.status();
    std::vector<BackendResult> out(prompts.size());
    for (size_t i = 0; i < out.size(); ++i) {
      RemoteReply& r = (*replies)[i];
      out[i].status = r.status;
      out[i].attempts = std::max(1, r.attempts);
      if (!r.status.ok()) continue;
      Generation& g = out[i].generation;
      g.text = std::move(r.text);
      g.finish_reason = r.finish_reason == "length" ? "length" : (r.finish_reason.empty() ? "stop" : r.finish_reason);
      g.prompt_tokens = r.prompt_tokens > 0 ? r.prompt_tokens : tokenizer_->CountTokens(prompts[i], true);
      out[i].completion_tokens = r.completion_tokens;
    }
    return out;
  }

 private:
  std::unique_ptr<RemoteClient> client_;
  std::unique_ptr<Tokenizer> tokenizer_;
  BackendInfo info_;
};

bool ParseCount(const std::string& v, double* out) {
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || end == v.c_str() || *end != '\0' || d < 0) return false;
  *out = d;
  return true;
}

}  // namespace

StatusOr<EndpointStyle> ParseEndpointStyle(const std::string& name) {
  if (name == "completions" || name == "completion") return EndpointStyle::kCompletions;
  if (name == "chat") return EndpointStyle::kChat;
  return Status::InvalidArgument("unknown endpoint style '" + name + "' (completions or chat)");
}

const char* EndpointStyleName(EndpointStyle style) {
  return style == EndpointStyle::kChat ? "chat" : "completions";
}

StatusOr<EndpointSpec> ParseEndpointSpec(const std::string& text, const EndpointSpec& defaults) {
  EndpointSpec spec = defaults;
  // "URL,key=value,...": a comma starts options only when a known key follows.
  static const char* kKeys[] = {"style=", "model=", "concurrency=", "rpm=", "tpm="};
  size_t cut = std::string::npos;
  for (size_t p = text.find(','); p != std::string::npos; p = text.find(',', p + 1)) {
    for (const char* k : kKeys) {
      if (text.compare(p + 1, std::string(k).size(), k) == 0) {
        cut = p;
        break;
      }
    }
    if (cut != std::string::npos) break;
  }
  spec.url = text.substr(0, cut);
  if (spec.url.empty()) return Status::InvalidArgument("--endpoint: empty URL");
  std::string rest = cut == std::string::npos ? "" : text.substr(cut + 1);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string item = rest.substr(0, comma);
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
    size_t eq = item.find('=');
    if (eq == std::string::npos) return Status::InvalidArgument("--endpoint " + spec.url + ": '" + item + "' is not key=value");
    std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    double d = 0;
    if (key == "style") {
      auto s = ParseEndpointStyle(value);
      if (!s.ok()) return s.status().WithContext("--endpoint " + spec.url);
      spec.style = *s;
    } else if (key == "model") {
      spec.model = value;
    } else if (key == "concurrency" && ParseCount(value, &d) && d >= 1) {
      spec.concurrency = static_cast<size_t>(d);
    } else if (key == "rpm" && ParseCount(value, &d)) {
      spec.rpm = d;
    } else if (key == "tpm" && ParseCount(value, &d)) {
      spec.tpm = d;
    } else {
      return Status::InvalidArgument("--endpoint " + spec.url + ": bad option '" + item +
                                     "' (style=completions|chat, model=NAME, concurrency=N, rpm=N, tpm=N)");
    }
  }
  return spec;
}

StatusOr<std::unique_ptr<RemoteBackend>> MakeRemoteBackend(const RemoteOptions& options) {
  auto client = RemoteClient::Make(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<RemoteBackend>(new RemoteBackendImpl(std::move(*client)));
}

}  // namespace capsfusion
