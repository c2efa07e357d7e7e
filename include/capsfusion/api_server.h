// ApiServer: the HTTP server of `capsfusion serve`, an OpenAI-compatible API
// over the built-in engine (docs/serve.md).
//
//   ServerOptions o;  o.model_path = "models/capsfusion-default.gguf";
//   auto server = capsfusion::ApiServer::Open(o);   // loads the model
//   (*server)->Bind();  (*server)->Serve();          // until Stop()/Drain()
//
// Routes: POST /v1/completions and /v1/chat/completions (JSON or server-sent
// events), GET /v1/models, /v1/models/{id}, /health, /metrics (Prometheus).
// Requests that arrive at different times share the engine through continuous
// batching. Every bad request gets an OpenAI-style error body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "capsfusion/engine.h"
#include "capsfusion/status.h"

namespace capsfusion {

struct ServerOptions {
  std::string model_path;
  std::string model_id;          //!< the id clients name; empty: the file name without .gguf
  ModelOptions model;            //!< threads, context; max_batch is max_batch below
  std::string host = "127.0.0.1";
  int port = 8080;               //!< 0: any free port
  std::string api_key;           //!< non-empty: requests need "Authorization: Bearer <key>"
  size_t max_body_bytes = 1 << 20;    //!< larger bodies: 413
  size_t max_prompt_tokens = 0;       //!< 0: the model's context length
  int64_t max_tokens_limit = 4096;    //!< larger max_tokens: 400
  int default_max_tokens = 256;       //!< when a request gives none (capped by the context)
  size_t max_batch = 32;              //!< requests decoded together
  size_t max_queue = 256;             //!< requests waiting for a batch slot; more: 429
  size_t max_connections = 4096;      //!< connections served at once; more wait to be accepted
  double request_timeout_s = 300;     //!< a generation request longer than this is cancelled
  int read_timeout_s = 10;            //!< reading a request (headers and body)
  int idle_timeout_s = 5;             //!< an idle keep-alive connection is closed after this
  double shutdown_timeout_s = 60;     //!< Drain(): longer-running requests are cancelled
  bool log_requests = false;          //!< one line per request on stderr
};

class ApiServer {
 public:
  ~ApiServer();
  //! Loads the model and starts the engine thread.
  static StatusOr<std::unique_ptr<ApiServer>> Open(const ServerOptions& options);

  //! Binds host:port (port 0: a free one).
  Status Bind();
  int port() const;
  //! "http://HOST:PORT"
  std::string url() const;
  const std::string& model_id() const;
  const ModelInfo& model_info() const;

  //! Serves until Stop() or Drain() has finished; returns OK then.
  Status Serve();
  //! Graceful stop: refuses new connections and requests (503), lets requests
  //! in flight finish (cancelling those still running after
  //! shutdown_timeout_s), then makes Serve() return. Any thread, not a signal
  //! handler.
  void Drain();
  //! Immediate stop: cancels every request. Any thread, not a signal handler.
  void Stop();

 private:
  struct Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace capsfusion
