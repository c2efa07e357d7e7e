// `capsfusion serve` through its HTTP API, in process on a free loopback port:
// answers equal the engine's own (Model::Generate on the same prompt), streamed
// chunks add up to the non-streamed answer, the OpenAI shapes, the fusion
// extension, auth, models, health and the Prometheus metrics.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "capsfusion/prompt.h"
#include "serve/chat_prompt.h"
#include "serve/serve_fixture.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using nlohmann::json;

class ServeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_path_ = dir_.File("tiny.gguf");
    testing::WriteServeModel(model_path_);
    ModelOptions mo;
    mo.threads = 2;
    mo.hash_file = false;
    auto m = Model::Load(model_path_, mo);
    ASSERT_TRUE(m.ok());
    reference_ = std::move(*m);
  }
  std::unique_ptr<testing::TestServer> Start(ServerOptions o = {}) {
    o.model_path = model_path_;
    auto s = std::make_unique<testing::TestServer>(o);
    EXPECT_TRUE(s->ok()) << s->error();
    return s;
  }
  std::string Engine(const std::string& prompt, GenerateOptions o) {
    auto out = reference_->Generate({prompt}, o);
    EXPECT_TRUE(out.ok());
    return out.ok() ? testing::JsonText((*out)[0].text) : "";
  }
  static json Post(httplib::Client& c, const std::string& path, const json& body, int want_status = 200) {
    auto res = c.Post(path.c_str(), body.dump(), "application/json");
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    EXPECT_EQ(res->status, want_status) << res->body;
    return json::parse(res->body);
  }
  // The data payloads of a server-sent event stream.
  static std::vector<std::string> Events(const std::string& body) {
    std::vector<std::string> out;
    size_t pos = 0;
    while ((pos = body.find("data: ", pos)) != std::string::npos) {
      const size_t end = body.find("\n\n", pos);
      out.push_back(body.substr(pos + 6, end - pos - 6));
      pos = end;
    }
    return out;
  }

  testing::TempDir dir_;
  std::string model_path_;
  std::unique_ptr<Model> reference_;
};

TEST_F(ServeApiTest, CompletionEqualsTheEngineAndHasTheOpenAiShape) {
  auto server = Start();
  httplib::Client c("127.0.0.1", server->port());
  json r = Post(c, "/v1/completions", {{"model", "tiny"}, {"prompt", "a photo of a dog"}, {"max_tokens", 12},
                                       {"temperature", 0}});
  GenerateOptions o;
  o.max_new_tokens = 12;
  EXPECT_EQ(r["object"], "text_completion");
  EXPECT_EQ(r["model"], "tiny");
  EXPECT_EQ(r["id"].get<std::string>().rfind("cmpl-", 0), 0u);
  EXPECT_TRUE(r["created"].is_number_integer());
  ASSERT_EQ(r["choices"].size(), 1u);
  EXPECT_EQ(r["choices"][0]["index"], 0);
  EXPECT_EQ(r["choices"][0]["text"], Engine("a photo of a dog", o));
  const std::string reason = r["choices"][0]["finish_reason"];
  EXPECT_TRUE(reason == "stop" || reason == "length");
  auto want = reference_->Generate({"a photo of a dog"}, o);
  EXPECT_EQ(r["usage"]["prompt_tokens"], (*want)[0].prompt_tokens);
  EXPECT_EQ(r["usage"]["completion_tokens"], (*want)[0].tokens.size());
  EXPECT_EQ(r["usage"]["total_tokens"], (*want)[0].prompt_tokens + (*want)[0].tokens.size());

  // A prompt given as an array of one string, and ignore_eos for an exact length.
  json r2 = Post(c, "/v1/completions", {{"prompt", {"a photo of a dog"}}, {"max_tokens", 40}, {"temperature", 0},
                                        {"ignore_eos", true}});
  EXPECT_EQ(r2["usage"]["completion_tokens"], 40);
  EXPECT_EQ(r2["choices"][0]["finish_reason"], "length");
}

TEST_F(ServeApiTest, StreamedChunksAddUpToTheAnswer) {
  auto server = Start();
  httplib::Client c("127.0.0.1", server->port());
  for (bool chat : {false, true}) {
    json body = {{"max_tokens", 30}, {"temperature", 0}, {"stream", true}, {"stream_options", {{"include_usage", true}}}};
    if (chat) {
      body["messages"] = json::array({{{"role", "system"}, {"content", "Be brief."}},
                                      {{"role", "user"}, {"content", "a photo of a dog"}}});
    } else {
      body["prompt"] = "two cats on a sofa";
    }
    const std::string path = chat ? "/v1/chat/completions" : "/v1/completions";
    auto res = c.Post(path.c_str(), body.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("Content-Type").rfind("text/event-stream", 0), 0u);
    auto events = Events(res->body);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events.back(), "[DONE]");
    std::string text, reason, id;
    json usage;
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      json e = json::parse(events[i]);
      EXPECT_EQ(e["object"], chat ? "chat.completion.chunk" : "text_completion");
      if (id.empty()) id = e["id"];
      EXPECT_EQ(e["id"], id);  // one id for the whole stream
      if (e.contains("usage")) {
        EXPECT_TRUE(e["choices"].empty());
        usage = e["usage"];
        continue;
      }
      const json& ch = e["choices"][0];
      if (chat) {
        if (i == 0) {
          EXPECT_EQ(ch["delta"]["role"], "assistant");
        }
        if (ch["delta"].contains("content")) text += ch["delta"]["content"].get<std::string>();
      } else {
        text += ch["text"].get<std::string>();
      }
      if (!ch["finish_reason"].is_null()) reason = ch["finish_reason"];
    }
    body.erase("stream");
    body.erase("stream_options");
    json whole = Post(c, path, body);
    const json& choice = whole["choices"][0];
    EXPECT_EQ(text, chat ? choice["message"]["content"].get<std::string>() : choice["text"].get<std::string>());
    EXPECT_EQ(reason, choice["finish_reason"]);
    EXPECT_EQ(usage, whole["usage"]);
    if (chat) {
      EXPECT_EQ(whole["object"], "chat.completion");
      EXPECT_EQ(choice["message"]["role"], "assistant");
      GenerateOptions o;
      o.max_new_tokens = 30;
      o.stop = {serve::ChatTurnStop()};
      const std::vector<serve::ChatMessage> msgs = {{"system", "Be brief."}, {"user", "a photo of a dog"}};
      EXPECT_EQ(text, Engine(serve::RenderChat(msgs), o));
    }
  }
}

TEST_F(ServeApiTest, FusionRequestsGetTheFusionPrompt) {
  auto server = Start();
  httplib::Client c("127.0.0.1", server->port());
  const std::string raw = "dog photo red white", synthetic = "a dog sitting on a sofa";
  const PromptTemplate model_template{"model", testing::kServeTestTemplate};
  auto prompt = BuildPrompt(model_template, raw, synthetic, reference_->tokenizer(), PromptOptions{});
  ASSERT_TRUE(prompt.ok());
  GenerateOptions o;
  o.max_new_tokens = 16;
  const std::string want = Engine(*prompt, o);
  json a = Post(c, "/v1/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_EQ(a["choices"][0]["text"], want);
  json b = Post(c, "/v1/chat/completions",
                {{"messages", {{{"role", "user"}, {"content", PromptTemplate::Paper().Fill(raw, synthetic)}}}},
                 {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_EQ(b["choices"][0]["message"]["content"], want);
  // The paper's prompt as a completion prompt: this model has a template of its own, which is used.
  json p = Post(c, "/v1/completions", {{"prompt", PromptTemplate::Paper().Fill(raw, synthetic)}, {"max_tokens", 16},
                                       {"temperature", 0}});
  EXPECT_EQ(p["choices"][0]["text"], want);
  json d = Post(c, "/v1/chat/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"temperature", 0}});
  EXPECT_EQ(d["choices"][0]["message"]["content"], want);
  // Beam search through the extension field.
  o.num_beams = 3;
  json e = Post(c, "/v1/completions",
                {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"num_beams", 3}});
  EXPECT_EQ(e["choices"][0]["text"], Engine(*prompt, o));
  ASSERT_EQ(e["choices"].size(), 1u);
  // n choices: the n best beams, best first, in both APIs; usage counts them all.
  o.num_return_sequences = 3;
  auto beams = reference_->Generate({*prompt}, o);
  ASSERT_TRUE(beams.ok());
  ASSERT_EQ((*beams)[0].alternatives.size(), 2u);
  json n3 = Post(c, "/v1/completions",
                 {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"num_beams", 3}, {"n", 3}});
  ASSERT_EQ(n3["choices"].size(), 3u);
  EXPECT_EQ(n3["choices"][0]["text"], Engine(*prompt, o));
  size_t tokens = (*beams)[0].tokens.size();
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(n3["choices"][i]["index"], i);
    EXPECT_EQ(n3["choices"][i]["text"], testing::JsonText((*beams)[0].alternatives[i - 1].text));
    EXPECT_EQ(n3["choices"][i]["finish_reason"], (*beams)[0].alternatives[i - 1].finish_reason);
    tokens += (*beams)[0].alternatives[i - 1].tokens.size();
  }
  EXPECT_EQ(n3["usage"]["completion_tokens"], tokens);
  json chat = Post(c, "/v1/chat/completions",
                   {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"num_beams", 3}, {"n", 2}});
  ASSERT_EQ(chat["choices"].size(), 2u);
  EXPECT_EQ(chat["choices"][1]["message"]["content"], n3["choices"][1]["text"]);
  // Span continuation through its extension fields, with beams and greedy.
  o.num_return_sequences = 1;
  o.span_bonus = 3.0f;
  o.span_min_match = 1;
  json s = Post(c, "/v1/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"num_beams", 3},
                                      {"span_bonus", 3.0}, {"span_min_match", 1}});
  EXPECT_EQ(s["choices"][0]["text"], Engine(*prompt, o));
  o.num_beams = 1;
  json sg = Post(c, "/v1/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"temperature", 0},
                                       {"span_bonus", 3.0}, {"span_min_match", 1}});
  EXPECT_EQ(sg["choices"][0]["text"], Engine(*prompt, o));
  // The adjacent-repeat ban, greedy and beam.
  o.no_adjacent_repeat = 2;
  json ag = Post(c, "/v1/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"temperature", 0},
                                       {"span_bonus", 3.0}, {"span_min_match", 1}, {"no_adjacent_repeat", 2}});
  EXPECT_EQ(ag["choices"][0]["text"], Engine(*prompt, o));
  o.num_beams = 3;
  json ab = Post(c, "/v1/completions", {{"raw", raw}, {"synthetic", synthetic}, {"max_tokens", 16}, {"num_beams", 3},
                                       {"span_bonus", 3.0}, {"span_min_match", 1}, {"no_adjacent_repeat", 2}});
  EXPECT_EQ(ab["choices"][0]["text"], Engine(*prompt, o));
}

TEST_F(ServeApiTest, SeededSamplingIsReproducible) {
  auto server = Start();
  httplib::Client c("127.0.0.1", server->port());
  json body = {{"prompt", "a photo"}, {"max_tokens", 20}, {"temperature", 0.8}, {"top_p", 0.9}, {"top_k", 30},
               {"seed", 7}, {"stop", {"xyz"}}};
  json a = Post(c, "/v1/completions", body);
  json b = Post(c, "/v1/completions", body);
  EXPECT_EQ(a["choices"][0]["text"], b["choices"][0]["text"]);
  GenerateOptions o;
  o.max_new_tokens = 20;
  o.temperature = 0.8f;
  o.top_p = 0.9f;
  o.top_k = 30;
  o.seed = 7;
  o.stop = {"xyz"};
  EXPECT_EQ(a["choices"][0]["text"], Engine("a photo", o));
}

TEST_F(ServeApiTest, ConcurrentRequestsShareBatchesAndGetTheirOwnAnswers) {
  ServerOptions so;
  so.max_batch = 8;
  auto server = Start(so);
  const std::vector<std::string> prompts = {"a", "the dog", "two cats on", "a photo of a red", "a man",
                                            "white and black", "Sentence 1", "New image"};
  std::vector<std::string> got(prompts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server->port());
      auto res = c.Post("/v1/completions",
                        json{{"prompt", prompts[i]}, {"max_tokens", 60}, {"temperature", 0}, {"ignore_eos", true},
                             {"stream", i % 2 == 1}}.dump(),
                        "application/json");
      EXPECT_TRUE(res && res->status == 200);
    });
  }
  for (auto& t : threads) t.join();
  // Non-streamed again, all at once, compared with the engine alone.
  threads.clear();
  for (size_t i = 0; i < prompts.size(); ++i) {
    threads.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", server->port());
      auto res = c.Post("/v1/completions", json{{"prompt", prompts[i]}, {"max_tokens", 25}, {"temperature", 0}}.dump(),
                        "application/json");
      if (res && res->status == 200) got[i] = json::parse(res->body)["choices"][0]["text"];
    });
  }
  for (auto& t : threads) t.join();
  GenerateOptions o;
  o.max_new_tokens = 25;
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ(got[i], Engine(prompts[i], o)) << prompts[i];
  httplib::Client c("127.0.0.1", server->port());
  auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  const double steps = testing::MetricValue(m->body, "capsfusion_batch_size_count");
  const double seqs = testing::MetricValue(m->body, "capsfusion_batch_size_sum");
  EXPECT_GT(seqs / steps, 1.0) << "requests were never decoded together";
}

TEST_F(ServeApiTest, ModelsHealthAndMetrics) {
  auto server = Start();
  httplib::Client c("127.0.0.1", server->port());
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  json list = json::parse(models->body);
  EXPECT_EQ(list["object"], "list");
  ASSERT_EQ(list["data"].size(), 1u);
  EXPECT_EQ(list["data"][0]["id"], "tiny");
  EXPECT_EQ(list["data"][0]["object"], "model");
  EXPECT_EQ(list["data"][0]["owned_by"], "capsfusion");
  auto one = c.Get("/v1/models/tiny");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  auto missing = c.Get("/v1/models/gpt-4");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(json::parse(missing->body)["error"]["code"], "model_not_found");
  auto health = c.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(json::parse(health->body)["status"], "ok");

  Post(c, "/v1/completions", {{"prompt", "a dog"}, {"max_tokens", 5}, {"ignore_eos", true}});
  auto metrics = c.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& m = metrics->body;
  for (const char* line :
       {"# TYPE capsfusion_requests_total counter", "# TYPE capsfusion_request_duration_seconds histogram",
        "# TYPE capsfusion_queue_depth gauge", "# TYPE capsfusion_batch_size histogram",
        "capsfusion_requests_total{endpoint=\"completions\",code=\"200\"} 1",
        "capsfusion_request_duration_seconds_bucket{le=\"+Inf\"} 1", "capsfusion_request_duration_seconds_count 1",
        "capsfusion_completion_tokens_total 5", "capsfusion_queue_depth 0", "capsfusion_active_sequences 0"}) {
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
  }
  // Every sample line belongs to a declared metric.
  std::istringstream in(m);
  std::string l, declared;
  while (std::getline(in, l)) {
    if (l.rfind("# TYPE ", 0) == 0) declared += " " + l.substr(7, l.find(' ', 7) - 7) + " ";
    if (l.empty() || l[0] == '#') continue;
    std::string name = l.substr(0, l.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string base = name.size() > std::strlen(suffix) &&
                                       name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0
                                   ? name.substr(0, name.size() - std::strlen(suffix))
                                   : "";
      if (!base.empty() && declared.find(" " + base + " ") != std::string::npos) name = base;
    }
    EXPECT_NE(declared.find(" " + name + " "), std::string::npos) << l;
  }
}

TEST_F(ServeApiTest, ApiKeyIsRequiredWhenSet) {
  ServerOptions so;
  so.api_key = "sekret-key";
  auto server = Start(so);
  httplib::Client c("127.0.0.1", server->port());
  json body = {{"prompt", "a"}, {"max_tokens", 2}};
  auto none = c.Post("/v1/completions", body.dump(), "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(json::parse(none->body)["error"]["type"], "authentication_error");
  auto wrong = c.Post("/v1/completions", {{"Authorization", "Bearer sekret-kez"}}, body.dump(), "application/json");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto models = c.Get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->status, 401);
  auto health = c.Get("/health");  // open: for load balancers
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto right = c.Post("/v1/completions", {{"Authorization", "Bearer sekret-key"}}, body.dump(), "application/json");
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
}

}  // namespace
}  // namespace capsfusion
