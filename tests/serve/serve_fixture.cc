#include "serve/serve_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>

namespace capsfusion::testing {

void WriteServeModel(const std::string& path, uint32_t n_layer, uint32_t n_embd, uint32_t n_ctx, uint32_t n_vocab) {
  engine::RandomLlamaConfig c;
  c.n_layer = n_layer;
  c.n_embd = n_embd;
  c.n_ff = n_embd * 5 / 2;
  c.n_ctx = n_ctx;
  c.n_vocab = n_vocab;
  c.logit_scale = 2.0f;
  engine::GgufSpec spec = engine::MakeRandomLlama(c);
  spec.Set("capsfusion.prompt_template", gguf::Value::String(kServeTestTemplate));
  Status s = spec.Write(path);
  if (!s.ok()) std::abort();
}

std::string JsonText(const std::string& text) {
  const nlohmann::json j = text;
  return nlohmann::json::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).get<std::string>();
}

TestServer::TestServer(ServerOptions options) {
  options.port = 0;
  if (options.model.threads == 0) options.model.threads = 2;
  options.model.hash_file = false;
  auto server = ApiServer::Open(options);
  if (!server.ok()) {
    error_ = server.status().ToString();
    return;
  }
  Status s = (*server)->Bind();
  if (!s.ok()) {
    error_ = s.ToString();
    return;
  }
  server_ = std::move(*server);
  thread_ = std::thread([this] { (void)server_->Serve(); });
}

TestServer::~TestServer() {
  if (server_) server_->Stop();
  if (thread_.joinable()) thread_.join();
}

void TestServer::DrainAndJoin() {
  server_->Drain();
  if (thread_.joinable()) thread_.join();
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

namespace {

// Reads more bytes into *buf; false on close, error or deadline.
bool ReadMore(int fd, std::string* buf, std::chrono::steady_clock::time_point deadline, bool* closed) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char tmp[65536];
  const ssize_t n = recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) {
    *closed = true;
    return false;
  }
  buf->append(tmp, static_cast<size_t>(n));
  return true;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RawResponse ReadResponse(int fd, double timeout_s) {
  RawResponse r;
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(timeout_s));
  std::string buf;
  size_t head_end;
  while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, &buf, deadline, &r.closed)) return r;
  }
  r.headers = buf.substr(0, head_end);
  if (r.headers.size() >= 12 && r.headers.compare(0, 5, "HTTP/") == 0) r.status = std::atoi(r.headers.c_str() + 9);
  std::string rest = buf.substr(head_end + 4);
  const std::string lower = Lower(r.headers);
  const size_t cl = lower.find("content-length:");
  if (lower.find("transfer-encoding: chunked") != std::string::npos) {
    size_t pos = 0;
    for (;;) {
      size_t eol;
      while ((eol = rest.find("\r\n", pos)) == std::string::npos) {
        if (!ReadMore(fd, &rest, deadline, &r.closed)) return r;
      }
      const size_t len = std::strtoul(rest.c_str() + pos, nullptr, 16);
      while (rest.size() < eol + 2 + len + 2) {
        if (!ReadMore(fd, &rest, deadline, &r.closed)) return r;
      }
      r.body.append(rest, eol + 2, len);
      pos = eol + 2 + len + 2;
      if (len == 0) return r;
    }
  } else if (cl != std::string::npos) {
    const size_t len = std::strtoul(lower.c_str() + cl + 15, nullptr, 10);
    while (rest.size() < len) {
      if (!ReadMore(fd, &rest, deadline, &r.closed)) break;
    }
    r.body = rest.substr(0, len);
  } else {
    while (ReadMore(fd, &rest, deadline, &r.closed)) {
    }
    r.body = rest;
  }
  return r;
}

RawResponse RawRequest(int port, const std::string& request, double timeout_s) {
  const int fd = ConnectLoopback(port);
  if (fd < 0) return RawResponse();
  SendAll(fd, request);
  RawResponse r = ReadResponse(fd, timeout_s);
  close(fd);
  return r;
}

std::string PostText(int port, const std::string& path, const std::string& body, const std::string& content_type,
                     const std::string& extra_headers) {
  std::ostringstream o;
  o << "POST " << path << " HTTP/1.1\r\nHost: 127.0.0.1:" << port << "\r\n";
  if (!content_type.empty()) o << "Content-Type: " << content_type << "\r\n";
  o << extra_headers << "Content-Length: " << body.size() << "\r\nConnection: close\r\n\r\n" << body;
  return o.str();
}

double MetricValue(const std::string& metrics, const std::string& name) {
  std::istringstream in(metrics);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, name.size() + 1, name + " ") == 0) return std::atof(line.c_str() + name.size() + 1);
  }
  return -1;
}

}  // namespace capsfusion::testing
