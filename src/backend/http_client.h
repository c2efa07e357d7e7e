// HttpClient: one libcurl handle that POSTs and GETs, keeping its connection
// open between requests. Not thread-safe: one client per thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace capsfusion::backend {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  //!< "Name: value" lines
  std::string body;                  //!< POST body; empty with get = true
  bool get = false;
  double connect_timeout_s = 10;
  double timeout_s = 120;            //!< whole request
};

struct HttpResponse {
  //! Transport outcome: kOk means an HTTP status arrived (any status).
  enum class Transport { kOk, kTimeout, kConnect, kOther };
  Transport transport = Transport::kOk;
  std::string transport_error;  //!< libcurl's message when transport != kOk
  long status = 0;              //!< HTTP status code
  std::string retry_after;      //!< the Retry-After header, if any
  std::string body;
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  //! Sends the request; failures come back in the response, never thrown.
  HttpResponse Send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! `url` with any user:password@ part removed (for messages and provenance).
std::string RedactUrl(const std::string& url);

}  // namespace capsfusion::backend
