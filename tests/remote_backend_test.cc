// The remote backend against FakeOpenAI on loopback: answers, retries and
// backoff, Retry-After, failover, load spread, concurrency and rate limits,
// fatal auth errors and the API key's secrecy.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend/http_client.h"
#include "backend/rate_limiter.h"
#include "backend/retry_policy.h"
#include "capsfusion/prompt.h"
#include "capsfusion/remote_backend.h"
#include "fake_openai.h"

namespace capsfusion {
namespace {

using testing::FakeFault;
using testing::FakeOpenAI;

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A port where nothing listens (bound, then closed).
int DeadPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

RemoteOptions Fast(std::vector<std::string> urls) {
  RemoteOptions o;
  for (const std::string& u : urls) o.endpoints.push_back({u, EndpointStyle::kCompletions, "fake-model"});
  o.api_key_env = "CAPSFUSION_TEST_NO_SUCH_KEY";
  o.backoff_base_s = 0.05;
  o.backoff_max_s = 0.4;
  o.connect_timeout_s = 2;
  o.request_timeout_s = 5;
  o.max_retries = 4;
  return o;
}

std::unique_ptr<RemoteBackend> Make(const RemoteOptions& o) {
  auto b = MakeRemoteBackend(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(*b) : nullptr;
}

std::vector<std::string> PaperPrompts(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(PromptTemplate::Paper().Fill("Raw " + std::to_string(i), "syn " + std::to_string(i)));
  return out;
}

TEST(RemoteBackendTest, FusesThroughCompletionsAndChat) {
  FakeOpenAI server({});
  for (EndpointStyle style : {EndpointStyle::kCompletions, EndpointStyle::kChat}) {
    RemoteOptions o = Fast({server.url()});
    o.endpoints[0].style = style;
    auto b = Make(o);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->info().kind, "remote");
    EXPECT_EQ(b->info().model, "fake-model");
    GenerateOptions g;
    g.max_new_tokens = 33;
    g.stop = {"\n"};
    auto out = b->Generate(PaperPrompts(5), g);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(out->size(), 5u);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE((*out)[i].status.ok()) << (*out)[i].status.ToString();
      std::string want = testing::FakeFusion("Raw " + std::to_string(i), "syn " + std::to_string(i));
      EXPECT_NE((*out)[i].generation.text.find(want), std::string::npos) << (*out)[i].generation.text;
      EXPECT_EQ((*out)[i].generation.finish_reason, "stop");
      EXPECT_EQ((*out)[i].attempts, 1);
      EXPECT_GT((*out)[i].completion_tokens, 0u);
    }
    auto body = nlohmann::json::parse(server.bodies().back());
    EXPECT_EQ(body["max_tokens"], 33);
    EXPECT_EQ(body["temperature"], 0.0);
    EXPECT_EQ(body["stop"], nlohmann::json::array({"\n"}));
    EXPECT_FALSE(body.contains("top_k"));  // extensions only when asked for
    EXPECT_EQ(body.contains("messages"), style == EndpointStyle::kChat);
  }
}

TEST(RemoteBackendTest, ModelNameComesFromTheServerWhenNotGiven) {
  FakeOpenAI::Options so;
  so.model = "served-name";
  FakeOpenAI server(so);
  RemoteOptions o = Fast({server.url()});
  o.endpoints[0].model.clear();
  auto b = Make(o);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->info().model, "served-name");
  auto out = b->Generate({"hello"}, {});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE((*out)[0].status.ok()) << (*out)[0].status.ToString();
  // Nothing listening: a clear error at start.
  RemoteOptions dead = Fast({"http://127.0.0.1:" + std::to_string(DeadPort())});
  dead.endpoints[0].model.clear();
  auto bad = MakeRemoteBackend(dead);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--endpoint-model"), std::string::npos) << bad.status().ToString();
}

TEST(RemoteBackendTest, RetriesServerErrorsWithBackoff) {
  FakeOpenAI server({});
  server.QueueFault(FakeFault::Http(500));
  server.QueueFault(FakeFault::Http(503));
  server.QueueFault(FakeFault::Of(FakeFault::Kind::kMalformed));
  server.QueueFault(FakeFault::Of(FakeFault::Kind::kEmptyChoices));
  RemoteOptions o = Fast({server.url()});
  o.backoff_base_s = 0.1;
  o.backoff_max_s = 10;
  o.failures_before_cooldown = 100;  // backoff alone
  auto b = Make(o);
  auto start = std::chrono::steady_clock::now();
  auto out = b->Generate({"one prompt"}, {});
  double took = Seconds(start);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)[0].status.ok()) << (*out)[0].status.ToString();
  EXPECT_EQ((*out)[0].attempts, 5);
  EXPECT_EQ((*out)[0].generation.text, "echo: one prompt");
  // Waits of [0.05,0.1] + [0.1,0.2] + [0.2,0.4] + [0.4,0.8]: at least 0.75 s.
  EXPECT_GE(took, 0.7);
  EXPECT_LT(took, 10.0);
}

TEST(RemoteBackendTest, GivesUpAfterMaxRetriesWithAPerPromptError) {
  FakeOpenAI server({});
  server.SetAlways(503);
  RemoteOptions o = Fast({server.url()});
  o.max_retries = 2;
  o.failures_before_cooldown = 100;
  auto b = Make(o);
  auto out = b->Generate({"a", "b"}, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();  // not fatal: per-prompt errors
  for (const auto& r : *out) {
    EXPECT_EQ(r.status.code(), Status::Code::kUnavailable);
    EXPECT_EQ(r.attempts, 3);
    EXPECT_NE(r.status.message().find("HTTP 503"), std::string::npos) << r.status.ToString();
  }
  EXPECT_EQ(server.requests(), 6);
}

TEST(RemoteBackendTest, HonoursRetryAfter) {
  FakeOpenAI server({});
  server.QueueFault(FakeFault::Http(429, "1"));
  RemoteOptions o = Fast({server.url()});
  auto b = Make(o);
  auto start = std::chrono::steady_clock::now();
  auto out = b->Generate({"x"}, {});
  double took = Seconds(start);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)[0].status.ok());
  EXPECT_EQ((*out)[0].attempts, 2);
  EXPECT_GE(took, 0.95);  // the backoff alone would be <= 0.05 s
  EXPECT_LT(took, 5.0);
}

TEST(RemoteBackendTest, RetryAfterParsing) {
  EXPECT_DOUBLE_EQ(backend::ParseRetryAfter("7", 0), 7);
  EXPECT_DOUBLE_EQ(backend::ParseRetryAfter("1.5", 0), 1.5);
  EXPECT_LT(backend::ParseRetryAfter("", 0), 0);
  EXPECT_LT(backend::ParseRetryAfter("soon", 0), 0);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
  EXPECT_DOUBLE_EQ(backend::ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7);
  backend::RetryPolicy p;
  p.base_s = 1;
  p.max_s = 4;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 50; ++i) {
    double d1 = p.Delay(1, -1, &rng), d3 = p.Delay(3, -1, &rng), d9 = p.Delay(9, -1, &rng);
    EXPECT_GE(d1, 0.5);
    EXPECT_LE(d1, 1.0);
    EXPECT_GE(d3, 2.0);
    EXPECT_LE(d3, 4.0);
    EXPECT_LE(d9, 4.0);
    EXPECT_GE(p.Delay(1, 3, &rng), 3.0);
  }
}

TEST(RemoteBackendTest, RequestTimeoutIsRetried) {
  FakeOpenAI server({});
  server.QueueFault(FakeFault::Slow(3.0));
  RemoteOptions o = Fast({server.url()});
  o.request_timeout_s = 0.5;
  auto b = Make(o);
  auto start = std::chrono::steady_clock::now();
  auto out = b->Generate({"slow"}, {});
  double took = Seconds(start);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)[0].status.ok()) << (*out)[0].status.ToString();
  EXPECT_EQ((*out)[0].attempts, 2);
  EXPECT_GE(took, 0.45);
  EXPECT_LT(took, 2.9);  // did not wait for the slow answer
}

TEST(RemoteBackendTest, BadRequestFailsOnlyThatPromptWithoutRetry) {
  FakeOpenAI server({});
  server.FailPromptsWith("REFUSE", 400);
  auto b = Make(Fast({server.url()}));
  auto out = b->Generate({"fine", "please REFUSE this", "also fine"}, {});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE((*out)[0].status.ok());
  EXPECT_EQ((*out)[1].status.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*out)[1].attempts, 1);
  EXPECT_NE((*out)[1].status.message().find("refused prompt"), std::string::npos) << (*out)[1].status.ToString();
  EXPECT_TRUE((*out)[2].status.ok());
  EXPECT_EQ(server.requests(), 3);
}

TEST(RemoteBackendTest, FailsOverFromADeadEndpoint) {
  FakeOpenAI server({});
  std::string dead = "http://127.0.0.1:" + std::to_string(DeadPort());
  auto b = Make(Fast({dead, server.url()}));
  auto out = b->Generate(PaperPrompts(20), {});
  ASSERT_TRUE(out.ok());
  for (const auto& r : *out) EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  auto st = b->stats();
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].successes, 0u);
  EXPECT_GE(st[0].failures, 1u);
  EXPECT_GE(st[0].cooldowns, 1u);  // rested, not hammered
  EXPECT_LE(st[0].requests, 12u);
  EXPECT_EQ(st[1].successes, 20u);
}

TEST(RemoteBackendTest, SpreadsLoadAndNeverExceedsConcurrency) {
  FakeOpenAI::Options so;
  so.delay_s = 0.03;
  FakeOpenAI a(so), b2(so);
  RemoteOptions o = Fast({a.url(), b2.url()});
  o.endpoints[0].concurrency = 3;
  o.endpoints[1].concurrency = 2;
  auto b = Make(o);
  auto out = b->Generate(PaperPrompts(60), {});
  ASSERT_TRUE(out.ok());
  for (const auto& r : *out) ASSERT_TRUE(r.status.ok());
  EXPECT_LE(a.max_in_flight(), 3);
  EXPECT_LE(b2.max_in_flight(), 2);
  EXPECT_GE(a.max_in_flight(), 2);
  EXPECT_GE(a.requests(), 20);  // both take a share in proportion to their slots
  EXPECT_GE(b2.requests(), 12);
  EXPECT_EQ(a.requests() + b2.requests(), 60);
  auto st = b->stats();
  EXPECT_LE(st[0].max_in_flight, 3u);
  EXPECT_LE(st[1].max_in_flight, 2u);
}

TEST(RemoteBackendTest, RequestsPerMinuteLimit) {
  FakeOpenAI server({});
  RemoteOptions o = Fast({server.url()});
  o.rpm = 1200;  // 20 per second, a bucket of 20
  auto b = Make(o);
  auto start = std::chrono::steady_clock::now();
  auto out = b->Generate(PaperPrompts(40), {});
  double took = Seconds(start);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(server.requests(), 40);
  EXPECT_GE(took, 0.9);  // 20 at once, then 20 more at 20/s
  std::printf("rpm 1200, 40 requests: %.2f s (bucket of 20 then 20/s: >= 1.0 s)\n", took);
}

TEST(RemoteBackendTest, TokenBucket) {
  backend::RateLimiter r(600, 2);  // 10 per second, bucket of 2
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(r.Acquire(1));
  EXPECT_GE(Seconds(start), 0.45);
  backend::RateLimiter off;
  EXPECT_TRUE(off.Acquire(1e9));
  std::atomic<bool> stop{true};
  backend::RateLimiter slow(1, 1);
  EXPECT_TRUE(slow.Acquire(1));
  EXPECT_FALSE(slow.Acquire(1, &stop));  // would wait a minute; stop wins
}

TEST(RemoteBackendTest, SendsTheKeyAsBearerAndNeverShowsIt) {
  const std::string key = "sk-test-SECRET-0123456789";
  FakeOpenAI::Options so;
  so.api_key = key;
  FakeOpenAI server(so);
  setenv("CAPSFUSION_TEST_KEY", key.c_str(), 1);
  RemoteOptions o = Fast({server.url()});
  o.api_key_env = "CAPSFUSION_TEST_KEY";
  auto b = Make(o);
  auto out = b->Generate({"hi"}, {});
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE((*out)[0].status.ok());
  EXPECT_EQ(server.authorizations().back(), "Bearer " + key);

  // A wrong key: the server answers 401 and echoes the key it got; the whole
  // call fails at once, and the message names the variable, not the key.
  const std::string wrong = "sk-wrong-SECRET-9876543210";
  setenv("CAPSFUSION_TEST_KEY", wrong.c_str(), 1);
  auto b2 = Make(o);
  int before = server.requests();
  auto bad = b2->Generate(PaperPrompts(30), {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("401"), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("CAPSFUSION_TEST_KEY"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("SECRET"), std::string::npos) << bad.status().ToString();
  EXPECT_LE(server.requests() - before, 8);  // stopped at once, not 30 x retries
  unsetenv("CAPSFUSION_TEST_KEY");

  // A named variable that is not set is an error; the default one is optional.
  o.api_key_required = true;
  auto missing = MakeRemoteBackend(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("CAPSFUSION_TEST_KEY"), std::string::npos);
}

TEST(RemoteBackendTest, ErrorsEchoingTheKeyAreScrubbed) {
  const std::string key = "sk-live-SECRET-abcdef";
  FakeOpenAI server({});
  server.FailPromptsWith("bad", 400);
  setenv("CAPSFUSION_TEST_KEY2", key.c_str(), 1);
  RemoteOptions o = Fast({server.url()});
  o.api_key_env = "CAPSFUSION_TEST_KEY2";
  auto b = Make(o);
  unsetenv("CAPSFUSION_TEST_KEY2");
  auto out = b->Generate({"bad " + key}, {});  // the server's error does not echo it, but the prompt could
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE((*out)[0].status.ok());
  EXPECT_EQ((*out)[0].status.ToString().find(key), std::string::npos);
}

TEST(RemoteBackendTest, WrongModelIsFatal) {
  FakeOpenAI server({});
  RemoteOptions o = Fast({server.url()});
  o.endpoints[0].model = "no-such-model";
  auto b = Make(o);
  auto out = b->Generate({"a", "b", "c"}, {});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("404"), std::string::npos) << out.status().ToString();
  EXPECT_NE(out.status().message().find("no-such-model"), std::string::npos);
}

TEST(RemoteBackendTest, EndpointSpecsAndUrls) {
  EndpointSpec d;
  d.model = "m";
  auto s = ParseEndpointSpec("http://h:1/v1,model=x,style=chat,concurrency=3,rpm=60,tpm=1000", d);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->url, "http://h:1/v1");
  EXPECT_EQ(s->model, "x");
  EXPECT_EQ(s->style, EndpointStyle::kChat);
  EXPECT_EQ(s->concurrency, 3u);
  EXPECT_EQ(s->rpm, 60);
  EXPECT_EQ(s->tpm, 1000);
  EXPECT_EQ(ParseEndpointSpec("http://h:1", d)->model, "m");
  EXPECT_FALSE(ParseEndpointSpec("http://h:1,style=fax", d).ok());
  EXPECT_FALSE(ParseEndpointSpec("http://h:1,concurrency=0", d).ok());

  RemoteOptions o;
  o.api_key_env = "";
  o.endpoints.push_back({"ftp://h/x", EndpointStyle::kCompletions, "m"});
  EXPECT_FALSE(MakeRemoteBackend(o).ok());
  o.endpoints[0].url = "http://user:pw@127.0.0.1:9/v1/chat/completions/";
  auto b = MakeRemoteBackend(o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->info().endpoints[0], "http://127.0.0.1:9/v1/chat/completions");  // no credentials
  o.endpoints[0].url = "http://127.0.0.1:9";
  EXPECT_EQ((*MakeRemoteBackend(o))->info().endpoints[0], "http://127.0.0.1:9/v1/completions");
  o.endpoints[0].url = "https://api.example.com/v1";
  o.endpoints[0].style = EndpointStyle::kChat;
  EXPECT_EQ((*MakeRemoteBackend(o))->info().endpoints[0], "https://api.example.com/v1/chat/completions");
}

}  // namespace
}  // namespace capsfusion
