// ApiServer: routes, limits and the streaming of `capsfusion serve`.
#include "capsfusion/api_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "capsfusion/prompt.h"
#include "engine/model_loader.h"
#include "engine/scheduler.h"
#include "serve/api_request.h"
#include "serve/chat_prompt.h"
#include "serve/connection_threads.h"
#include "serve/metrics.h"
#include "serve/response_json.h"
#include "util/exception_text.h"

namespace capsfusion {

namespace {

using Clock = std::chrono::steady_clock;
using serve::ApiError;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

ApiError MakeError(int status, const std::string& type, const std::string& code, const std::string& message,
                   const std::string& param = "") {
  ApiError e;
  e.status = status;
  e.type = type;
  e.code = code;
  e.message = message;
  e.param = param;
  return e;
}

void SendError(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  if (e.status == 429 || e.status == 503) res.set_header("Retry-After", "1");
  res.set_content(serve::ErrorJson(e), "application/json");
}

std::string Endpoint(const std::string& path) {
  if (path == "/v1/completions") return "completions";
  if (path == "/v1/chat/completions") return "chat_completions";
  if (path.rfind("/v1/models", 0) == 0) return "models";
  if (path == "/health") return "health";
  if (path == "/metrics") return "metrics";
  return "other";
}

bool IsLoopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

// The events of one generation request, from the engine thread to the
// request's connection thread.
struct Channel {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<engine::StreamEvent> events;
  bool done = false;

  void Push(const engine::StreamEvent& e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      events.push_back(e);
      if (e.done) done = true;
    }
    cv.notify_all();
  }
  // Moves the pending events into *out, waiting until `until` for one.
  void Take(Clock::time_point until, std::deque<engine::StreamEvent>* out) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_until(lock, until, [&] { return !events.empty(); });
    out->swap(events);
    events.clear();
  }
};

}  // namespace

struct ApiServer::Impl {
  ServerOptions options;
  std::string model_id;
  std::unique_ptr<engine::LoadedModel> model;
  std::unique_ptr<engine::Scheduler> scheduler;
  PromptTemplate fusion_template;
  bool model_has_template = false;
  serve::ServeMetrics metrics;
  serve::RequestLimits limits;
  httplib::Server server;
  int port = -1;
  int listen_fd = -1;
  int64_t created = 0;
  std::atomic<bool> draining{false};
  std::atomic<int> inflight{0};
  std::atomic<uint64_t> next_id{0};
  uint64_t id_salt = 0;
  // Drain(): a timer that cancels what still runs after shutdown_timeout_s.
  std::mutex drain_mu;
  std::condition_variable drain_cv;
  bool served = false;
  std::thread drain_timer;

  std::string NewId(const char* prefix) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%s%016llx%08llx", prefix, static_cast<unsigned long long>(id_salt),
                  static_cast<unsigned long long>(++next_id));
    return buf;
  }

  bool HostAllowed(const httplib::Request& req) const {
    if (!IsLoopback(options.host)) return true;
    const std::string host = req.get_header_value("Host");
    const std::string p = ":" + std::to_string(port);
    return host == "127.0.0.1" + p || host == "localhost" + p || host == "[::1]" + p;
  }

  bool Authorized(const httplib::Request& req) const {
    if (options.api_key.empty()) return true;
    const std::string auth = req.get_header_value("Authorization");
    const std::string want = "Bearer " + options.api_key;
    if (auth.size() != want.size()) return false;
    unsigned char diff = 0;  // constant time
    for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned char>(auth[i] ^ want[i]);
    return diff == 0;
  }

  serve::GaugeValues Gauges() const {
    serve::GaugeValues g;
    const engine::SchedulerStats s = scheduler->stats();
    g.queue_depth = static_cast<double>(s.queued);
    g.active_sequences = static_cast<double>(s.live);
    g.http_inflight = inflight.load();
    g.forward_steps = static_cast<double>(s.forward_calls);
    g.prefix_tokens_reused = static_cast<double>(s.prefix_tokens_reused);
    return g;
  }

  // The prompt of a request and its implicit stop strings; an error for a
  // fusion pair that does not fit the budget.
  std::optional<ApiError> BuildPromptText(const serve::ApiRequest& ar, std::string* prompt,
                                          std::vector<std::string>* extra_stop) {
    std::string raw, synthetic;
    bool fusion = ar.fusion;
    if (fusion) {
      raw = ar.raw;
      synthetic = ar.synthetic;
    } else if (ar.chat) {
      fusion = serve::ChatIsFusion(ar.messages, &raw, &synthetic);
    } else if (model_has_template) {
      // The paper's prompt sent to a model trained on a template of its own.
      fusion = serve::ParseFusionPrompt(ar.prompt, &raw, &synthetic);
    }
    if (fusion) {
      auto built = BuildPrompt(fusion_template, raw, synthetic, *model->tokenizer, PromptOptions{});
      if (!built.ok()) {
        return MakeError(400, "invalid_request_error", "context_length_exceeded", built.status().message(), "raw");
      }
      *prompt = std::move(*built);
    } else if (ar.chat) {
      *prompt = serve::RenderChat(ar.messages);
      extra_stop->push_back(serve::ChatTurnStop());
    } else {
      *prompt = ar.prompt;
    }
    return std::nullopt;
  }

  void Generate(const httplib::Request& req, httplib::Response& res, bool chat) {
    const Clock::time_point t0 = Clock::now();
    serve::ApiRequest ar;
    if (auto e = serve::ParseApiRequest(req.body, chat, limits, &ar)) return SendError(res, *e);
    if (!ar.model.empty() && ar.model != model_id) {
      return SendError(res, MakeError(404, "invalid_request_error", "model_not_found",
                                      "The model '" + ar.model + "' does not exist; this server has '" + model_id + "'",
                                      "model"));
    }
    std::string prompt;
    std::vector<std::string> extra_stop;
    if (auto e = BuildPromptText(ar, &prompt, &extra_stop)) return SendError(res, *e);
    const LlamaTokenizer& tok = *model->tokenizer;
    const bool add_bos = tok.vocab().add_bos && tok.bos_id() >= 0;
    std::vector<int32_t> tokens = tok.Encode(prompt, add_bos);
    if (tokens.empty()) {
      return SendError(res, MakeError(400, "invalid_request_error", "empty_prompt", "the prompt has no tokens",
                                      chat ? "messages" : "prompt"));
    }
    const size_t n_ctx = model->info.n_ctx;
    const size_t prompt_limit = options.max_prompt_tokens > 0 ? std::min(options.max_prompt_tokens, n_ctx - 1) : n_ctx - 1;
    if (tokens.size() > prompt_limit) {
      return SendError(res, MakeError(400, "invalid_request_error", "context_length_exceeded",
                                      "the prompt has " + std::to_string(tokens.size()) +
                                          " tokens; this server takes at most " + std::to_string(prompt_limit),
                                      chat ? "messages" : "prompt"));
    }
    const size_t room = n_ctx - tokens.size();
    if (ar.max_tokens_given) {
      if (static_cast<size_t>(ar.gen.max_new_tokens) > room) {
        return SendError(res, MakeError(400, "invalid_request_error", "context_length_exceeded",
                                        "This model's maximum context length is " + std::to_string(n_ctx) +
                                            " tokens; the prompt has " + std::to_string(tokens.size()) +
                                            " and max_tokens asks for " + std::to_string(ar.gen.max_new_tokens),
                                        "max_tokens"));
      }
    } else {
      ar.gen.max_new_tokens = static_cast<int>(std::min<size_t>(options.default_max_tokens, room));
    }
    if (!ar.seed_given) ar.gen.seed = std::random_device{}() ^ (next_id.load() * 0x9E3779B97F4A7C15ULL);
    for (auto& s : extra_stop) ar.gen.stop.push_back(s);
    ar.gen.share_prefix = false;
    if (draining) {
      return SendError(res, MakeError(503, "server_error", "shutting_down", "the server is shutting down"));
    }

    auto channel = std::make_shared<Channel>();
    // Accounting happens here, on the engine thread, so that a request whose
    // client has gone is counted too.
    auto first = std::make_shared<bool>(true);
    auto on_event = [this, channel, first, t0](const engine::StreamEvent& e) {
      if (*first && !e.delta.empty()) {
        metrics.ObserveFirstToken(Seconds(t0));
        *first = false;
      }
      if (e.done) Finished(e, t0);
      channel->Push(e);
    };
    ++inflight;
    auto submitted = scheduler->Submit(std::move(tokens), engine::ToDecodeOptions(ar.gen), on_event,
                                       ar.ignore_eos);
    if (!submitted.ok()) {
      --inflight;
      if (submitted.status().code() == Status::Code::kUnavailable) {
        if (draining) return SendError(res, MakeError(503, "server_error", "shutting_down", submitted.status().message()));
        return SendError(res, MakeError(429, "rate_limit_error", "too_many_requests",
                                        submitted.status().message() + "; retry later"));
      }
      return SendError(res, MakeError(400, "invalid_request_error", "invalid_request", submitted.status().message()));
    }
    const uint64_t id = *submitted;
    serve::ResponseHead head;
    head.id = NewId(chat ? "chatcmpl-" : "cmpl-");
    head.created = static_cast<int64_t>(std::time(nullptr));
    head.model = model_id;
    head.chat = chat;
    const Clock::time_point deadline =
        t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.request_timeout_s));

    if (!ar.stream) {
      std::deque<engine::StreamEvent> events;
      bool timed_out = false;
      engine::StreamEvent last;
      while (!last.done) {
        channel->Take(timed_out ? Clock::now() + std::chrono::seconds(1) : deadline, &events);
        for (auto& e : events) {
          if (e.done) last = std::move(e);
        }
        events.clear();
        if (!last.done && !timed_out && Clock::now() >= deadline) {
          timed_out = true;
          scheduler->Cancel(id);
        }
      }
      if (last.finish_reason == "stop" || last.finish_reason == "length") {
        res.set_content(serve::FinalResponseJson(head, last), "application/json");
      } else {
        SendError(res, EndError(last, timed_out));
      }
      return;
    }

    // Streaming: server-sent events, written from this connection's thread.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no");
    struct StreamState {
      Impl* self;
      uint64_t id;
      std::shared_ptr<Channel> channel;
      serve::ResponseHead head;
      bool include_usage;
      Clock::time_point t0, deadline;
    };
    auto st = std::make_shared<StreamState>(StreamState{this, id, channel, head, ar.include_usage, t0, deadline});
    res.set_chunked_content_provider(
        "text/event-stream",
        [st](size_t, httplib::DataSink& sink) -> bool { return st->self->Stream(*st, sink); },
        [st](bool success) {
          if (!success) st->self->scheduler->Cancel(st->id);
        });
  }

  template <typename State>
  bool Stream(State& st, httplib::DataSink& sink) {
    auto write = [&](const std::string& data) { return sink.write(data.data(), data.size()); };
    auto client_gone = [&] {
      scheduler->Cancel(st.id);
      return false;
    };
    if (st.head.chat && !write(serve::SseData(serve::ChatRoleChunkJson(st.head)))) return client_gone();
    std::deque<engine::StreamEvent> events;
    bool timed_out = false;
    for (;;) {
      const Clock::time_point slice = std::min(Clock::now() + std::chrono::seconds(1), st.deadline);
      st.channel->Take(timed_out ? Clock::now() + std::chrono::seconds(1) : slice, &events);
      if (events.empty()) {
        // A comment line keeps the connection alive and finds clients that left.
        if (!write(": keep-alive\n\n")) return client_gone();
      }
      for (engine::StreamEvent& e : events) {
        if (!e.delta.empty()) {
          if (!write(serve::SseData(serve::DeltaChunkJson(st.head, e.delta, "")))) return client_gone();
        }
        if (!e.done) continue;
        if (e.finish_reason == "stop" || e.finish_reason == "length") {
          if (!write(serve::SseData(serve::DeltaChunkJson(st.head, "", e.finish_reason)))) return false;
          if (st.include_usage && !write(serve::SseData(serve::UsageChunkJson(st.head, e)))) return false;
          if (!write("data: [DONE]\n\n")) return false;
        } else {
          if (!write(serve::SseData(serve::ErrorJson(EndError(e, timed_out))))) return false;
        }
        sink.done();
        return true;
      }
      events.clear();
      if (!timed_out && Clock::now() >= st.deadline) {
        timed_out = true;
        scheduler->Cancel(st.id);
      }
    }
  }

  ApiError EndError(const engine::StreamEvent& e, bool timed_out) const {
    if (e.finish_reason == "error") {
      return MakeError(500, "server_error", "engine_error", "generation failed: " + e.status.message());
    }
    if (timed_out) {
      return MakeError(504, "server_error", "timeout",
                       "the request took longer than " + std::to_string(static_cast<int>(options.request_timeout_s)) +
                           " s and was cancelled");
    }
    return MakeError(503, "server_error", "shutting_down", "the request was cancelled: the server is shutting down");
  }

  void Finished(const engine::StreamEvent& e, Clock::time_point t0) {
    --inflight;
    metrics.AddTokens(e.prompt_tokens, e.completion_tokens);
    metrics.ObserveLatency(Seconds(t0));
    if (e.finish_reason == "cancelled") metrics.CountCancelled();
  }

  void Routes();
};

void ApiServer::Impl::Routes() {
  server.new_task_queue = [this] { return new serve::ConnectionThreads(options.max_connections); };
  server.set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
    // A connection is handed over only once its first bytes have arrived (or
    // after idle_timeout_s): idle connections wait in the kernel and hold no
    // thread. (The library polls an accepted connection every 10 ms while it
    // waits for a request; thousands of those would take the CPUs.)
    int defer = options.idle_timeout_s;
    setsockopt(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT, reinterpret_cast<const void*>(&defer), sizeof defer);
    listen_fd = sock;
  });
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  server.set_tcp_nodelay(true);
  server.set_payload_max_length(options.max_body_bytes);
  server.set_keep_alive_timeout(options.idle_timeout_s);
  server.set_keep_alive_max_count(1000);
  server.set_read_timeout(options.read_timeout_s);
  server.set_write_timeout(30);
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    using HR = httplib::Server::HandlerResponse;
    if (!HostAllowed(req)) {
      SendError(res, MakeError(403, "invalid_request_error", "forbidden_host", "unexpected Host header"));
      return HR::Handled;
    }
    const bool generation = req.path == "/v1/completions" || req.path == "/v1/chat/completions";
    const bool get_route = req.path == "/health" || req.path == "/metrics" || req.path == "/v1/models" ||
                           req.path.rfind("/v1/models/", 0) == 0;
    if (generation && req.method != "POST") {
      SendError(res, MakeError(405, "invalid_request_error", "method_not_allowed", req.path + " takes POST"));
      return HR::Handled;
    }
    if (get_route && req.method != "GET" && req.method != "HEAD") {
      SendError(res, MakeError(405, "invalid_request_error", "method_not_allowed", req.path + " takes GET"));
      return HR::Handled;
    }
    if (req.path != "/health" && (generation || get_route) && !Authorized(req)) {
      res.set_header("WWW-Authenticate", "Bearer");
      SendError(res, MakeError(401, "authentication_error", "invalid_api_key",
                               "missing or wrong API key (send 'Authorization: Bearer <key>')"));
      return HR::Handled;
    }
    if (generation) {
      const std::string ct = req.get_header_value("Content-Type");
      const std::string base = ct.substr(0, ct.find(';'));
      std::string lower;
      for (char c : base) {
        if (c != ' ') lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (lower != "application/json") {
        SendError(res, MakeError(415, "invalid_request_error", "unsupported_media_type",
                                 "the body must be JSON (Content-Type: application/json), not '" + ct + "'"));
        return HR::Handled;
      }
    }
    return HR::Unhandled;
  });
  server.Post("/v1/completions",
              [this](const httplib::Request& req, httplib::Response& res) { Generate(req, res, false); });
  server.Post("/v1/chat/completions",
              [this](const httplib::Request& req, httplib::Response& res) { Generate(req, res, true); });
  server.Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(serve::ModelListJson(model_id, created, model->info), "application/json");
  });
  server.Get(R"(/v1/models/(.+))", [this](const httplib::Request& req, httplib::Response& res) {
    if (req.matches[1].str() != model_id) {
      return SendError(res, MakeError(404, "invalid_request_error", "model_not_found",
                                      "The model '" + req.matches[1].str() + "' does not exist", "model"));
    }
    res.set_content(serve::ModelJson(model_id, created, model->info), "application/json");
  });
  server.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    const engine::SchedulerStats s = scheduler->stats();
    if (draining) res.status = 503;
    res.set_content(serve::HealthJson(draining ? "draining" : "ok", model_id, s.queued, s.live), "application/json");
  });
  server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(Gauges()), "text/plain; version=0.0.4; charset=utf-8");
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404: return SendError(res, MakeError(404, "invalid_request_error", "not_found", "no such route"));
      case 413:
        return SendError(res, MakeError(413, "invalid_request_error", "request_too_large",
                                        "the request body is larger than this server accepts"));
      case 414: return SendError(res, MakeError(414, "invalid_request_error", "uri_too_long", "the URI is too long"));
      default:
        return SendError(res, MakeError(res.status, res.status >= 500 ? "server_error" : "invalid_request_error",
                                        "bad_request", "the HTTP request could not be read"));
    }
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    SendError(res, MakeError(500, "server_error", "internal_error", ExceptionText(ep)));
  });
  server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    metrics.CountRequest(Endpoint(req.path), res.status);
    if (options.log_requests) {
      std::fprintf(stderr, "capsfusion serve: %d %s %s\n", res.status, req.method.c_str(), req.path.c_str());
    }
  });
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ApiServer::~ApiServer() {
  Stop();
  if (impl_->drain_timer.joinable()) impl_->drain_timer.join();
}

StatusOr<std::unique_ptr<ApiServer>> ApiServer::Open(const ServerOptions& options) {
  if (options.port < 0 || options.port > 65535) return Status::InvalidArgument("port must be 0..65535");
  if (options.max_batch < 1) return Status::InvalidArgument("max_batch must be at least 1");
  if (options.default_max_tokens < 1) return Status::InvalidArgument("default_max_tokens must be at least 1");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  ModelOptions mo = options.model;
  mo.max_batch = options.max_batch;
  auto loaded = engine::LoadModel(options.model_path, mo);
  if (!loaded.ok()) return loaded.status();
  impl->model = std::move(*loaded);
  if (impl->model->info.n_ctx < 2) return Status::InvalidArgument(options.model_path + ": the context is too short");
  impl->model_id = options.model_id;
  if (impl->model_id.empty()) {
    std::string base = options.model_path.substr(options.model_path.find_last_of('/') + 1);
    if (base.size() > 5 && base.compare(base.size() - 5, 5, ".gguf") == 0) base.resize(base.size() - 5);
    impl->model_id = base;
  }
  const ModelInfo& info = impl->model->info;
  impl->model_has_template = !info.prompt_template.empty();
  impl->fusion_template = info.prompt_template.empty() ? PromptTemplate::Paper()
                                                        : PromptTemplate{"model:" + impl->model_id, info.prompt_template};
  impl->limits.max_tokens = options.max_tokens_limit;
  impl->created = static_cast<int64_t>(std::time(nullptr));
  impl->id_salt = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  impl->scheduler = std::make_unique<engine::Scheduler>(impl->model->lm.get(), impl->model->tokenizer.get(),
                                                        impl->model->tokenizer->eos_id(), options.max_batch,
                                                        options.max_queue);
  Impl* raw = impl.get();
  impl->scheduler->SetStepObserver([raw](size_t seqs, size_t tokens) { raw->metrics.ObserveBatch(seqs, tokens); });
  impl->Routes();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

Status ApiServer::Bind() {
  Impl& m = *impl_;
  if (m.options.port == 0) {
    m.port = m.server.bind_to_any_port(m.options.host);
  } else {
    m.port = m.server.bind_to_port(m.options.host, m.options.port) ? m.options.port : -1;
  }
  if (m.port < 0) {
    return Status::Unavailable("cannot listen on " + m.options.host + ":" + std::to_string(m.options.port) +
                               " (in use? try --port 0 for a free port)");
  }
  // The library listens with a backlog of 5; a burst of connections needs more.
  if (m.listen_fd >= 0) ::listen(m.listen_fd, SOMAXCONN);
  return Status::OK();
}

int ApiServer::port() const { return impl_->port; }

std::string ApiServer::url() const {
  const std::string& h = impl_->options.host;
  return "http://" + (h.find(':') != std::string::npos ? "[" + h + "]" : h) + ":" + std::to_string(impl_->port);
}

const std::string& ApiServer::model_id() const { return impl_->model_id; }
const ModelInfo& ApiServer::model_info() const { return impl_->model->info; }

Status ApiServer::Serve() {
  if (impl_->port < 0) CF_RETURN_IF_ERROR(Bind());
  const bool ok = impl_->draining ? true : impl_->server.listen_after_bind();
  {
    std::lock_guard<std::mutex> lock(impl_->drain_mu);
    impl_->served = true;
  }
  impl_->drain_cv.notify_all();
  if (!ok && impl_->server.is_running()) return Status::IOError("the server stopped unexpectedly");
  return Status::OK();
}

void ApiServer::Drain() {
  Impl& m = *impl_;
  if (m.draining.exchange(true)) return;
  m.server.stop();
  m.drain_timer = std::thread([&m] {
    const Clock::time_point limit =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(m.options.shutdown_timeout_s));
    std::unique_lock<std::mutex> lock(m.drain_mu);
    while (!m.served) {
      if (Clock::now() >= limit) {
        lock.unlock();
        m.scheduler->Stop();  // cancels what still runs; its requests answer 503
        return;
      }
      m.drain_cv.wait_for(lock, std::chrono::milliseconds(100));
      // Again, in case the server had not started listening at the first stop.
      if (!m.served) m.server.stop();
    }
  });
}

void ApiServer::Stop() {
  impl_->draining = true;
  impl_->scheduler->Stop();
  impl_->server.stop();
}

}  // namespace capsfusion
