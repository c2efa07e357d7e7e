// Test support for `capsfusion serve`: an ApiServer on a free loopback port
// running in a background thread, and a raw HTTP/1.1 client on plain sockets
// (so that tests can send what no HTTP library would).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "capsfusion/api_server.h"
#include "engine/random_llama.h"

namespace capsfusion::testing {

//! The short fusion template the serving tests' models carry in their metadata.
inline const char* kServeTestTemplate = "Sentence 1: {raw}\nSentence 2: {synthetic}\nNew Sentence:";

//! Writes a random LLaMA to `path` (for serving tests), with kServeTestTemplate.
void WriteServeModel(const std::string& path, uint32_t n_layer = 2, uint32_t n_embd = 64, uint32_t n_ctx = 256,
                     uint32_t n_vocab = 0);

//! `text` as it reads after a JSON round trip (bytes that are not UTF-8 become U+FFFD).
std::string JsonText(const std::string& text);

class TestServer {
 public:
  //! Opens, binds (port 0) and serves; check ok() after construction.
  explicit TestServer(ServerOptions options);
  ~TestServer();
  bool ok() const { return server_ != nullptr; }
  const std::string& error() const { return error_; }
  int port() const { return server_->port(); }
  ApiServer& server() { return *server_; }
  //! Drain() and wait for Serve() to return.
  void DrainAndJoin();

 private:
  std::unique_ptr<ApiServer> server_;
  std::thread thread_;
  std::string error_;
};

struct RawResponse {
  int status = 0;        //!< 0: no status line came back
  std::string headers;   //!< the header block
  std::string body;      //!< de-chunked when chunked
  bool closed = false;   //!< the server closed the connection
};

//! A connected loopback socket (-1 on failure); the caller closes it.
int ConnectLoopback(int port);
//! Sends all of `data` (false when the peer has gone).
bool SendAll(int fd, const std::string& data);
//! Reads one response (headers, then a Content-Length or chunked body, or up to
//! close), waiting at most `timeout_s` in all.
RawResponse ReadResponse(int fd, double timeout_s = 30);
//! Connects, sends `request` as is, reads the response, closes.
RawResponse RawRequest(int port, const std::string& request, double timeout_s = 30);
//! A POST with the given body and content type (Host and Content-Length set).
std::string PostText(int port, const std::string& path, const std::string& body,
                     const std::string& content_type = "application/json", const std::string& extra_headers = "");
//! The value of a Prometheus sample line "name value" in `metrics` (-1: absent).
double MetricValue(const std::string& metrics, const std::string& name);

}  // namespace capsfusion::testing
