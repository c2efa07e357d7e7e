// capsfusion serve: an OpenAI-compatible HTTP API over the built-in engine.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "capsfusion/api_server.h"
#include "command.h"
#include "fuse/model_fuser.h"

namespace capsfusion::cli {

namespace {

int g_serve_pipe[2] = {-1, -1};

void OnServeSignal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  (void)!write(g_serve_pipe[1], &b, 1);
}

struct ServeArgs {
  ServerOptions server;
  std::string api_key_env;
  int threads = 0;
  size_t ctx = 0;
};

// Each connection needs a file descriptor: use the hard limit.
void RaiseFileLimit() {
  struct rlimit rl {};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int RunServe(ServeArgs& a) {
  const std::string cmd = "serve";
  ServerOptions& o = a.server;
  if (o.model_path.empty()) {
    if (const char* env = std::getenv("CAPSFUSION_MODEL"); env != nullptr && *env != '\0') o.model_path = env;
  }
  if (o.model_path.empty()) o.model_path = FindDefaultModel(ExecutableDir());
  if (o.model_path.empty()) {
    return Fail(cmd, "no model given and no default model found (models/capsfusion-default.gguf); use --model");
  }
  if (!a.api_key_env.empty()) {
    const char* key = std::getenv(a.api_key_env.c_str());
    if (key == nullptr || *key == '\0') return Fail(cmd, "environment variable " + a.api_key_env + " is empty");
    o.api_key = key;
  }
  o.model.threads = a.threads;
  o.model.context_length = a.ctx;
  RaiseFileLimit();

  // SIGINT and SIGTERM drain the server (requests in flight finish), a second
  // signal stops it at once. A handler writes the signal into a pipe that a
  // waiting thread reads (any thread may take the signal).
  if (pipe(g_serve_pipe) != 0) return Fail(cmd, "cannot create a pipe for signal handling");
  struct sigaction sa {};
  sa.sa_handler = OnServeSignal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {}, old_term {}, old_pipe {};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);  // a client that went away is a failed write, not a signal

  auto server = ApiServer::Open(o);
  if (!server.ok()) return Fail(cmd, server.status());
  Status s = (*server)->Bind();
  if (!s.ok()) return Fail(cmd, s);
  const ModelInfo& info = (*server)->model_info();
  std::printf("capsfusion serve: model '%s' (%s, %u layers, context %u) at %s/v1%s\n", (*server)->model_id().c_str(),
              info.weight_type.c_str(), info.n_layer, info.n_ctx, (*server)->url().c_str(),
              o.api_key.empty() ? "" : " (API key required)");
  std::fflush(stdout);

  ApiServer* srv = server->get();
  int received = 0;
  std::thread waiter([&] {
    unsigned char sig = 0;
    for (int n = 0; n < 2;) {
      ssize_t r = read(g_serve_pipe[0], &sig, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0 || sig == 0) return;
      received = sig;
      if (++n == 1) {
        std::fprintf(stderr, "capsfusion serve: draining (requests in flight finish; a second signal stops now)\n");
        srv->Drain();
      } else {
        srv->Stop();
      }
    }
  });
  s = srv->Serve();
  unsigned char zero = 0;
  (void)!write(g_serve_pipe[1], &zero, 1);  // wake the waiter if it still waits
  waiter.join();
  server->reset();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  close(g_serve_pipe[0]);
  close(g_serve_pipe[1]);
  if (!s.ok()) return Fail(cmd, s);
  if (received != 0) std::fprintf(stderr, "capsfusion serve: stopped\n");
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, Runner* run) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* sub = app.add_subcommand("serve", "Serve a model over an OpenAI-compatible HTTP API (127.0.0.1)");
  sub->footer(
      "Routes: POST /v1/completions, POST /v1/chat/completions (\"stream\": true for server-sent events),\n"
      "GET /v1/models, /health, /metrics (Prometheus). Concurrent requests share the engine through\n"
      "continuous batching. SIGTERM or Ctrl-C lets requests in flight finish, then exits 0.\n"
      "Limits, errors and the fusion extension (\"raw\" and \"synthetic\" fields): docs/serve.md.\n\n"
      "Examples:\n"
      "  capsfusion serve --model models/capsfusion-default.gguf --port 8080\n"
      "  CAPSFUSION_API_KEY=secret capsfusion serve --api-key-env CAPSFUSION_API_KEY --max-batch 16");
  ServerOptions& o = a->server;
  sub->add_option("--model", o.model_path, "GGUF model file (default: $CAPSFUSION_MODEL, then models/capsfusion-default.gguf)");
  sub->add_option("--model-id", o.model_id, "Model name clients send (default: the file name without .gguf)");
  sub->add_option("--host", o.host, "Address to listen on (anything but loopback exposes the API)")->capture_default_str();
  sub->add_option("--port", o.port, "Port (0: any free port; the URL is printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  sub->add_option("--api-key-env", a->api_key_env,
                  "Environment variable holding the API key; requests then need 'Authorization: Bearer KEY'");
  sub->add_option("--threads", a->threads, "Engine threads (0: all cores)")->capture_default_str();
  sub->add_option("--ctx", a->ctx, "Context length (0: the model's)")->capture_default_str();
  sub->add_option("--max-batch", o.max_batch, "Requests decoded together")->capture_default_str()->check(CLI::Range(1, 1024));
  sub->add_option("--max-queue", o.max_queue, "Requests waiting for a batch slot; more get 429")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  sub->add_option("--max-connections", o.max_connections, "Connections served at once; more wait")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body; larger get 413")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1024}, size_t{1} << 30));
  sub->add_option("--max-prompt-tokens", o.max_prompt_tokens, "Longest prompt in tokens (0: the context)")
      ->capture_default_str();
  sub->add_option("--max-tokens-limit", o.max_tokens_limit, "Largest max_tokens a request may ask for")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  sub->add_option("--default-max-tokens", o.default_max_tokens, "max_tokens when a request gives none")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30));
  sub->add_option("--request-timeout", o.request_timeout_s, "Seconds a generation request may take")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 86400.0));
  sub->add_option("--read-timeout", o.read_timeout_s, "Seconds to wait for a request's bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub->add_option("--idle-timeout", o.idle_timeout_s, "Seconds an idle keep-alive connection stays open")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub->add_option("--shutdown-timeout", o.shutdown_timeout_s,
                  "Seconds requests in flight may run after SIGTERM before they are cancelled")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  sub->add_flag("--log-requests", o.log_requests, "Log each request on stderr");
  sub->callback([a, run] { *run = [a] { return RunServe(*a); }; });
}

}  // namespace capsfusion::cli
