// Hostile requests against `capsfusion serve`, sent on raw sockets: every one
// gets an OpenAI-style error body (or a clean close), the server stays up and
// answers the next request, no slot stays taken. Also: a client that leaves in
// the middle of a stream frees its slot, thousands of idle connections do not
// block a real one, and SIGTERM during a long generation lets it finish
// before the process exits 0. docs/serve.md lists these cases and answers.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "serve/serve_fixture.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using nlohmann::json;
using testing::PostText;
using testing::RawRequest;
using testing::RawResponse;

class ServeHostileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir;
    // Slow enough that a long generation takes seconds: 4 layers, width 256.
    testing::WriteServeModel(dir_->File("slow.gguf"), 4, 256, 2048, 4000);
    testing::WriteServeModel(dir_->File("tiny.gguf"));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Model(const char* name) { return dir_->File(name); }

  std::unique_ptr<testing::TestServer> Start(ServerOptions o, const char* model = "tiny.gguf") {
    o.model_path = Model(model);
    auto s = std::make_unique<testing::TestServer>(o);
    EXPECT_TRUE(s->ok()) << s->error();
    return s;
  }

  // The server still answers a normal request.
  static void ExpectAlive(int port) {
    RawResponse r = RawRequest(port, PostText(port, "/v1/completions", R"({"prompt":"a dog","max_tokens":2})"));
    EXPECT_EQ(r.status, 200) << r.headers << r.body;
  }

  static std::string Metrics(int port) {
    return RawRequest(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                "\r\nConnection: close\r\n\r\n")
        .body;
  }

  static testing::TempDir* dir_;
};

testing::TempDir* ServeHostileTest::dir_ = nullptr;

// An error response: the status and an OpenAI error object.
void ExpectError(const RawResponse& r, int status, const std::string& code, const std::string& what) {
  EXPECT_EQ(r.status, status) << what << "\n" << r.headers << "\n" << r.body.substr(0, 400);
  json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << what << ": " << r.body.substr(0, 400);
  ASSERT_TRUE(j.contains("error")) << what;
  const json& e = j["error"];
  EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << what;
  EXPECT_TRUE(e["type"].is_string()) << what;
  EXPECT_TRUE(e.contains("param") && e.contains("code")) << what;
  if (!code.empty()) {
    EXPECT_EQ(e["code"], code) << what << ": " << r.body;
  }
}

TEST_F(ServeHostileTest, MalformedRequestsGetOpenAiErrors) {
  ServerOptions o;
  o.read_timeout_s = 1;
  auto server = Start(o);
  const int port = server->port();
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  struct Case {
    const char* what;
    std::string request;
    int status;
    const char* code;
  };
  const std::string deep(100000, '[');
  std::string long_prompt;
  for (int i = 0; i < 400; ++i) long_prompt += "the dog ";
  const std::vector<Case> cases = {
      {"truncated JSON", PostText(port, "/v1/completions", R"({"prompt": "a dog", "max_tokens": 1)"), 400,
       "invalid_json"},
      {"not JSON at all", PostText(port, "/v1/completions", "prompt=a+dog"), 400, "invalid_json"},
      {"JSON then garbage", PostText(port, "/v1/completions", R"({"prompt": "a"} {"x": 1})"), 400, "invalid_json"},
      {"a JSON array", PostText(port, "/v1/completions", "[1, 2]"), 400, "invalid_json"},
      {"100000 nested arrays", PostText(port, "/v1/completions", deep), 400, "invalid_json"},
      {"invalid UTF-8 in a string", PostText(port, "/v1/completions", "{\"prompt\": \"a \xff\xfe dog\"}"), 400,
       "invalid_utf8"},
      {"overlong UTF-8", PostText(port, "/v1/completions", "{\"prompt\": \"\xc0\xaf\"}"), 400, "invalid_utf8"},
      {"wrong content type", PostText(port, "/v1/completions", R"({"prompt": "a"})", "text/plain"), 415,
       "unsupported_media_type"},
      {"no content type", PostText(port, "/v1/completions", R"({"prompt": "a"})", ""), 415, "unsupported_media_type"},
      {"form content type", PostText(port, "/v1/chat/completions", "a=b", "application/x-www-form-urlencoded"), 415,
       "unsupported_media_type"},
      {"negative max_tokens", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": -5})"), 400,
       "out_of_range"},
      {"zero max_tokens", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 0})"), 400,
       "out_of_range"},
      {"huge max_tokens", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 1000000000000})"), 400,
       "out_of_range"},
      {"max_tokens 1e400", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 1e400})"), 400,
       "invalid_json"},
      {"max_tokens as a string", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": "10"})"), 400,
       "invalid_type"},
      {"fractional max_tokens", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 1.5})"), 400,
       "invalid_type"},
      {"max_tokens past the context", PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 4000})"),
       400, "context_length_exceeded"},
      {"prompt longer than the context",
       PostText(port, "/v1/completions", json{{"prompt", long_prompt}}.dump()), 400, "context_length_exceeded"},
      {"prompt as a number", PostText(port, "/v1/completions", R"({"prompt": 42})"), 400, "invalid_type"},
      {"no prompt", PostText(port, "/v1/completions", R"({"max_tokens": 3})"), 400, "missing_required_parameter"},
      {"two prompts", PostText(port, "/v1/completions", R"({"prompt": ["a", "b"]})"), 400, "unsupported_parameter"},
      {"temperature as a string", PostText(port, "/v1/completions", R"({"prompt": "a", "temperature": "hot"})"), 400,
       "invalid_type"},
      {"temperature 5", PostText(port, "/v1/completions", R"({"prompt": "a", "temperature": 5})"), 400,
       "out_of_range"},
      {"top_p 0", PostText(port, "/v1/completions", R"({"prompt": "a", "top_p": 0})"), 400, "out_of_range"},
      {"stream as a string", PostText(port, "/v1/completions", R"({"prompt": "a", "stream": "yes"})"), 400,
       "invalid_type"},
      {"n = 3", PostText(port, "/v1/completions", R"({"prompt": "a", "n": 3})"), 400, "unsupported_parameter"},
      {"n above num_beams", PostText(port, "/v1/completions", R"({"prompt": "a", "n": 4, "num_beams": 3})"), 400,
       "unsupported_parameter"},
      {"n = 0", PostText(port, "/v1/completions", R"({"prompt": "a", "n": 0})"), 400, "out_of_range"},
      {"negative span bonus", PostText(port, "/v1/completions", R"({"prompt": "a", "span_bonus": -1})"), 400,
       "out_of_range"},
      {"span_min_match 0", PostText(port, "/v1/completions", R"({"prompt": "a", "span_min_match": 0})"), 400,
       "out_of_range"},
      {"no_adjacent_repeat 33", PostText(port, "/v1/completions", R"({"prompt": "a", "no_adjacent_repeat": 33})"),
       400, "out_of_range"},
      {"empty stop string", PostText(port, "/v1/completions", R"({"prompt": "a", "stop": [""]})"), 400, ""},
      {"five stop strings", PostText(port, "/v1/completions", R"({"prompt": "a", "stop": ["a","b","c","d","e"]})"),
       400, "out_of_range"},
      {"streamed beam search", PostText(port, "/v1/completions", R"({"prompt": "a", "num_beams": 3, "stream": true})"),
       400, "unsupported_parameter"},
      {"unknown model", PostText(port, "/v1/completions", R"({"model": "gpt-4", "prompt": "a"})"), 404,
       "model_not_found"},
      {"messages not an array", PostText(port, "/v1/chat/completions", R"({"messages": "hi"})"), 400, "invalid_type"},
      {"empty messages", PostText(port, "/v1/chat/completions", R"({"messages": []})"), 400, ""},
      {"unknown role", PostText(port, "/v1/chat/completions", R"({"messages": [{"role": "wizard", "content": "hi"}]})"),
       400, ""},
      {"image content",
       PostText(port, "/v1/chat/completions",
                R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})"),
       400, "unsupported_content"},
      {"raw without synthetic", PostText(port, "/v1/completions", R"({"raw": "a dog"})"), 400, ""},
      {"GET a POST route", "GET /v1/completions HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 405,
       "method_not_allowed"},
      {"unknown route", "GET /v2/everything HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n", 404, "not_found"},
      {"foreign Host header", "GET /v1/models HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n", 403,
       "forbidden_host"},
      {"garbage request line", "HELLO THERE\r\n\r\n", 400, ""},
      {"10 kB header", "GET /health HTTP/1.1\r\n" + host + "X-Big: " + std::string(10000, 'a') + "\r\n\r\n", 400, ""},
  };
  for (const Case& c : cases) {
    RawResponse r = RawRequest(port, c.request, 10);
    ExpectError(r, c.status, c.code, c.what);
  }
  ExpectAlive(port);
  // A body shorter than its Content-Length: the read times out, the connection closes.
  const int fd = testing::ConnectLoopback(port);
  ASSERT_GE(fd, 0);
  testing::SendAll(fd, "POST /v1/completions HTTP/1.1\r\n" + host +
                           "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"prompt\":");
  RawResponse cut = testing::ReadResponse(fd, 10);
  close(fd);
  EXPECT_TRUE(cut.closed || cut.status == 400) << cut.headers;
  ExpectAlive(port);
  const std::string m = Metrics(port);
  EXPECT_EQ(testing::MetricValue(m, "capsfusion_active_sequences"), 0);
  EXPECT_EQ(testing::MetricValue(m, "capsfusion_inflight_requests"), 0);
}

TEST_F(ServeHostileTest, HundredMegabyteBodiesAreRefused) {
  ServerOptions o;
  o.read_timeout_s = 2;  // the chunked case is answered after a read timeout
  auto server = Start(o);
  const int port = server->port();
  const size_t size = 100u << 20;
  // With a Content-Length.
  {
    const int fd = testing::ConnectLoopback(port);
    ASSERT_GE(fd, 0);
    testing::SendAll(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                             "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n");
    const std::string block(1 << 20, 'a');
    for (size_t sent = 0; sent < size; sent += block.size()) {
      if (!testing::SendAll(fd, block)) break;  // the server may close early
    }
    RawResponse r = testing::ReadResponse(fd, 60);
    close(fd);
    ExpectError(r, 413, "request_too_large", "100 MB body");
  }
  // Chunked, no length announced: refused once the limit is passed.
  {
    const int fd = testing::ConnectLoopback(port);
    ASSERT_GE(fd, 0);
    testing::SendAll(fd, "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                             "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "100000\r\n" + std::string(0x100000, 'a') + "\r\n";
    for (int i = 0; i < 100; ++i) {
      if (!testing::SendAll(fd, chunk)) break;
    }
    RawResponse r = testing::ReadResponse(fd, 60);
    close(fd);
    // The library reports the overflow of a chunked body as a bad request.
    EXPECT_TRUE(r.status == 413 || r.status == 400 || r.closed) << r.headers;
    if (r.status != 0) ExpectError(r, r.status, "", "100 MB chunked body");
  }
  ExpectAlive(port);
}

// Reads a stream until its first data chunk.
bool ReadFirstChunk(int fd, std::string* seen) {
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (seen->find("data: {") == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    seen->append(buf, static_cast<size_t>(n));
  }
  return true;
}

// Polls /metrics until `pred` holds (10 s at most).
template <typename Pred>
bool WaitMetrics(int port, Pred pred, std::string* last) {
  for (int i = 0; i < 200; ++i) {
    *last = RawRequest(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                                 "\r\nConnection: close\r\n\r\n")
                .body;
    if (pred(*last)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST_F(ServeHostileTest, ClientLeavingMidStreamFreesItsSlot) {
  ServerOptions o;
  o.max_batch = 1;
  o.max_queue = 1;
  auto server = Start(o, "slow.gguf");
  const int port = server->port();
  const std::string stream_body = R"({"prompt": "a dog", "max_tokens": 2000, "ignore_eos": true, "stream": true})";
  const int a = testing::ConnectLoopback(port);
  ASSERT_GE(a, 0);
  testing::SendAll(a, PostText(port, "/v1/completions", stream_body));
  std::string seen;
  ASSERT_TRUE(ReadFirstChunk(a, &seen)) << seen;

  // The only slot is taken: one request may wait, the next is refused with 429.
  const int b = testing::ConnectLoopback(port);
  ASSERT_GE(b, 0);
  testing::SendAll(b, PostText(port, "/v1/completions", R"({"prompt": "two cats", "max_tokens": 3})"));
  std::string m;
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& s) { return testing::MetricValue(s, "capsfusion_queue_depth") == 1; }, &m))
      << m;
  RawResponse c = RawRequest(port, PostText(port, "/v1/completions", R"({"prompt": "a", "max_tokens": 3})"));
  ExpectError(c, 429, "too_many_requests", "third request with one slot and a queue of one");

  // The streaming client goes away: its slot is freed at once, the waiting request runs.
  close(a);
  RawResponse rb = testing::ReadResponse(b, 30);
  close(b);
  EXPECT_EQ(rb.status, 200) << rb.body;
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& s) {
    return testing::MetricValue(s, "capsfusion_active_sequences") == 0 &&
           testing::MetricValue(s, "capsfusion_requests_cancelled_total") == 1;
  }, &m)) << m;
  EXPECT_LT(testing::MetricValue(m, "capsfusion_completion_tokens_total"), 2000) << "the stream ran to its end";
  EXPECT_EQ(testing::MetricValue(m, "capsfusion_inflight_requests"), 0);
  ExpectAlive(port);
}

TEST_F(ServeHostileTest, RequestsPastTheTimeoutAreCancelled) {
  ServerOptions o;
  o.request_timeout_s = 0.3;
  auto server = Start(o, "slow.gguf");
  const int port = server->port();
  const std::string body = R"({"prompt": "a dog", "max_tokens": 2000, "ignore_eos": true)";
  RawResponse whole = RawRequest(port, PostText(port, "/v1/completions", body + "}"));
  ExpectError(whole, 504, "timeout", "non-streamed request past its timeout");
  RawResponse streamed = RawRequest(port, PostText(port, "/v1/completions", body + R"(, "stream": true})"));
  EXPECT_EQ(streamed.status, 200);
  EXPECT_NE(streamed.body.find(R"("code":"timeout")"), std::string::npos) << streamed.body.substr(0, 300);
  EXPECT_EQ(streamed.body.find("[DONE]"), std::string::npos);
  std::string m;
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& s) {
    return testing::MetricValue(s, "capsfusion_requests_cancelled_total") == 2 &&
           testing::MetricValue(s, "capsfusion_active_sequences") == 0;
  }, &m)) << m;
}

TEST_F(ServeHostileTest, DrainFinishesAWholeRequestInFlightAndRefusesNewOnes) {
  auto server = Start(ServerOptions(), "slow.gguf");
  const int port = server->port();
  RawResponse r;
  std::thread client([&] {
    r = RawRequest(port, PostText(port, "/v1/completions", R"({"prompt": "a dog", "max_tokens": 1000, "ignore_eos": true})"),
                   120);
  });
  std::string m;
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& s) {
    return testing::MetricValue(s, "capsfusion_active_sequences") == 1;
  }, &m)) << m;
  const auto t0 = std::chrono::steady_clock::now();
  server->DrainAndJoin();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  client.join();
  EXPECT_EQ(r.status, 200) << r.body;
  json j = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_EQ(j["usage"]["completion_tokens"], 1000);
  EXPECT_EQ(testing::ConnectLoopback(port), -1) << "still accepting after the drain";
  EXPECT_LT(s, 30.0);
}

TEST_F(ServeHostileTest, ThousandsOfIdleConnectionsDoNotBlockARequest) {
  struct rlimit rl {};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  // Client and server ends both live in this process.
  const size_t want = 2000;
  const size_t n = std::min<size_t>(want, rl.rlim_cur > 300 ? (rl.rlim_cur - 200) / 2 : 0);
  if (n < 500) GTEST_SKIP() << "the file descriptor limit (" << rl.rlim_cur << ") is too low for this test";
  ServerOptions o;
  o.idle_timeout_s = 120;
  o.max_connections = 4096;
  auto server = Start(o);
  const int port = server->port();
  std::vector<int> idle;
  for (size_t i = 0; i < n; ++i) {
    const int fd = testing::ConnectLoopback(port);
    ASSERT_GE(fd, 0) << "connection " << i;
    idle.push_back(fd);
  }
  const auto t0 = std::chrono::steady_clock::now();
  RawResponse r = RawRequest(port, PostText(port, "/v1/completions", R"({"prompt":"a dog","max_tokens":4})"), 30);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, 200) << n << " idle connections";
  EXPECT_LT(s, 20.0);
  // An idle connection can still send a request of its own.
  ASSERT_TRUE(testing::SendAll(idle[n / 2], PostText(port, "/v1/completions", R"({"prompt":"a","max_tokens":2})")));
  EXPECT_EQ(testing::ReadResponse(idle[n / 2], 30).status, 200);
  for (int fd : idle) close(fd);
  ExpectAlive(port);
  std::printf("[ info ] %zu idle connections; a request took %.3f s\n", n, s);
}

TEST_F(ServeHostileTest, CliErrorsAreOneLineAndExitOne) {
  const std::string cli = testing::BinaryDir() + "/capsfusion";
  struct stat st {};
  if (stat(cli.c_str(), &st) != 0) GTEST_SKIP() << "build/capsfusion is not built";
  std::string out;
  EXPECT_EQ(testing::RunCommand(cli + " serve --model " + dir_->File("missing.gguf") + " 2>&1", &out), 1);
  EXPECT_NE(out.find("capsfusion serve: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("missing.gguf"), std::string::npos) << out;
  EXPECT_EQ(testing::RunCommand("env -u CAPSFUSION_NO_KEY " + cli + " serve --model " + Model("tiny.gguf") +
                                    " --api-key-env CAPSFUSION_NO_KEY 2>&1",
                                &out),
            1);
  EXPECT_NE(out.find("CAPSFUSION_NO_KEY"), std::string::npos) << out;
  // The port is taken.
  auto server = Start(ServerOptions());
  EXPECT_EQ(testing::RunCommand(cli + " serve --model " + Model("tiny.gguf") + " --port " +
                                    std::to_string(server->port()) + " 2>&1",
                                &out),
            1);
  EXPECT_NE(out.find("cannot listen"), std::string::npos) << out;
  EXPECT_EQ(testing::RunCommand(cli + " serve --model " + Model("tiny.gguf") + " --port 70000 2>&1", &out), 2);
}

TEST_F(ServeHostileTest, SigtermLetsTheRunningRequestFinishThenExitsZero) {
  const std::string cli = testing::BinaryDir() + "/capsfusion";
  struct stat st {};
  if (stat(cli.c_str(), &st) != 0) GTEST_SKIP() << "build/capsfusion is not built";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string model = Model("slow.gguf");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(cli.c_str(), cli.c_str(), "serve", "--model", model.c_str(), "--port", "0", "--threads", "2",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  // "capsfusion serve: model 'slow' (...) at http://127.0.0.1:PORT/v1"
  std::string banner;
  char ch;
  while (banner.find('\n') == std::string::npos && read(out[0], &ch, 1) == 1) banner += ch;
  close(out[0]);
  const size_t at = banner.find("127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << banner;
  const int port = std::atoi(banner.c_str() + at + 10);

  const int fd = testing::ConnectLoopback(port);
  ASSERT_GE(fd, 0);
  testing::SendAll(fd, PostText(port, "/v1/completions",
                                R"({"prompt": "a dog", "max_tokens": 1000, "ignore_eos": true, "stream": true,
                                    "stream_options": {"include_usage": true}})"));
  std::string seen;
  ASSERT_TRUE(ReadFirstChunk(fd, &seen));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  // New connections are refused soon; the running stream goes on to its end.
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    const int probe = testing::ConnectLoopback(port);
    if (probe < 0) {
      refused = true;
    } else {
      close(probe);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  EXPECT_TRUE(refused) << "the server still accepts connections after SIGTERM";
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 60000) <= 0) break;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    seen.append(buf, static_cast<size_t>(n));
    if (seen.find("data: [DONE]") != std::string::npos) break;
  }
  close(fd);
  EXPECT_NE(seen.find("\"finish_reason\":\"length\""), std::string::npos);
  EXPECT_NE(seen.find("\"completion_tokens\":1000"), std::string::npos);
  EXPECT_NE(seen.find("data: [DONE]"), std::string::npos);
  int status = 0;
  for (int i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (waitpid(pid, &status, WNOHANG) == 0 && !WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    FAIL() << "capsfusion serve did not exit within 30 s of SIGTERM";
  }
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace capsfusion
