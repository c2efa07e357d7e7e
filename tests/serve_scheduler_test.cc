// The server's incremental scheduler on a tiny random LLaMA: requests that
// arrive while others decode give exactly what Model::Generate gives for each
// prompt alone (greedy, sampling with a seed, penalties, stop strings, beam
// search), streamed text adds up to the final text, cancellation frees the
// slot and its cache blocks, and the queue limit holds.
#include "engine/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "capsfusion/engine.h"
#include "engine/model_loader.h"
#include "engine/random_llama.h"
#include "test_util.h"

namespace capsfusion::engine {
namespace {

// Collects the events of one request.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::string streamed;
  StreamEvent last;
  int deltas = 0;
  bool hold = false;  // the first delta stops the engine thread until Release()

  StreamCallback Callback() {
    return [this](const StreamEvent& e) {
      std::unique_lock<std::mutex> lock(mu);
      streamed += e.delta;
      if (!e.delta.empty()) ++deltas;
      if (e.done) last = e;
      cv.notify_all();
      cv.wait(lock, [&] { return !hold || e.done; });
    };
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
    cv.notify_all();
  }
  void WaitDone() {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return last.done; }));
  }
  void WaitDeltas(int n) {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(60), [&] { return deltas >= n || last.done; }));
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RandomLlamaConfig c;
    c.n_ctx = 128;
    c.logit_scale = 2.0f;
    path_ = dir_.File("m.gguf");
    ASSERT_TRUE(MakeRandomLlama(c).Write(path_).ok());
    ModelOptions mo;
    mo.threads = 2;
    mo.hash_file = false;
    auto loaded = LoadModel(path_, mo);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    loaded_ = std::move(*loaded);
    auto model = Model::Load(path_, mo);
    ASSERT_TRUE(model.ok());
    reference_ = std::move(*model);
  }

  std::vector<int32_t> Tokens(const std::string& text) const {
    return loaded_->tokenizer->Encode(text, loaded_->tokenizer->vocab().add_bos);
  }

  testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<LoadedModel> loaded_;
  std::unique_ptr<Model> reference_;
};

//! The scheduler's counters once its engine thread has finished the step that
//! answered the last request (the callback runs before the step's bookkeeping).
SchedulerStats SettledStats(Scheduler& sched) {
  SchedulerStats st = sched.stats();
  for (int i = 0; i < 200 && (st.live != 0 || st.kv_blocks_in_use != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    st = sched.stats();
  }
  return st;
}

TEST_F(SchedulerTest, StaggeredRequestsMatchGenerateAlone) {
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), loaded_->tokenizer->eos_id(), 4, 64);
  const std::vector<std::string> prompts = {"a photo of a dog", "two cats on a sofa with the red",
                                            "Sentence 1: a big white man", "the", "New image of a small black cat",
                                            "a woman sitting at the", "1, 2", "photo"};
  std::vector<GenerateOptions> opts(prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    GenerateOptions& o = opts[i];
    o.max_new_tokens = 12 + static_cast<int>(i) * 3;
    if (i % 3 == 1) {
      o.temperature = 0.9f;
      o.top_p = 0.9f;
      o.top_k = 20;
      o.seed = 100 + i;
    }
    if (i % 4 == 2) o.repetition_penalty = 1.3f;
    if (i == 5) o.no_repeat_ngram_size = 2;
    if (i == 6) o.stop = {"e", "a"};
  }
  std::vector<std::unique_ptr<Collector>> got;
  for (size_t i = 0; i < prompts.size(); ++i) {
    got.push_back(std::make_unique<Collector>());
    auto id = sched.Submit(Tokens(prompts[i]), ToDecodeOptions(opts[i]), got.back()->Callback());
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    // Later requests arrive while the earlier ones decode.
    if (i % 2 == 1) got[i - 1]->WaitDeltas(2);
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    got[i]->WaitDone();
    auto want = reference_->Generate({prompts[i]}, opts[i]);
    ASSERT_TRUE(want.ok());
    const StreamEvent& e = got[i]->last;
    EXPECT_EQ(e.text, (*want)[0].text) << "prompt " << i;
    EXPECT_EQ(e.finish_reason, (*want)[0].finish_reason) << "prompt " << i;
    EXPECT_EQ(e.completion_tokens, (*want)[0].tokens.size()) << "prompt " << i;
    EXPECT_EQ(e.prompt_tokens, (*want)[0].prompt_tokens);
    EXPECT_EQ(got[i]->streamed, e.text) << "prompt " << i;
  }
  const SchedulerStats st = SettledStats(sched);
  EXPECT_EQ(st.finished, prompts.size());
  EXPECT_EQ(st.live, 0u);
  EXPECT_EQ(st.kv_blocks_in_use, 0u);
}

TEST_F(SchedulerTest, SharedPromptPrefixesAreComputedOnceAndChangeNothing) {
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), loaded_->tokenizer->eos_id(), 3, 64);
  const std::string instruction = "Sentence 1: a photo of the big white dog and the small black cat on a red sofa. ";
  const std::vector<std::string> tails = {"New image", "two cats", "the man", "a woman sitting", "1, 2", "photo"};
  GenerateOptions o;
  o.max_new_tokens = 10;
  std::vector<std::unique_ptr<Collector>> got;
  size_t prompt_tokens = 0;
  for (size_t i = 0; i < tails.size(); ++i) {
    got.push_back(std::make_unique<Collector>());
    const auto tokens = Tokens(instruction + tails[i]);
    prompt_tokens += tokens.size();
    ASSERT_TRUE(sched.Submit(tokens, ToDecodeOptions(o), got.back()->Callback()).ok());
    if (i % 2 == 1) got[i]->WaitDone();
  }
  for (size_t i = 0; i < tails.size(); ++i) {
    got[i]->WaitDone();
    auto want = reference_->Generate({instruction + tails[i]}, o);
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(got[i]->last.text, (*want)[0].text) << tails[i];
    EXPECT_EQ(got[i]->last.finish_reason, (*want)[0].finish_reason) << tails[i];
  }
  const SchedulerStats st = SettledStats(sched);
  const size_t instruction_tokens = Tokens(instruction).size();
  EXPECT_GE(st.prefix_tokens_reused, (tails.size() - 3) * (instruction_tokens - 2));
  EXPECT_EQ(st.prompt_tokens + st.prefix_tokens_reused, prompt_tokens);
  EXPECT_EQ(st.kv_blocks_in_use, 0u);
}

TEST_F(SchedulerTest, StopStringsAreHeldBackAndCut) {
  // Find a greedy continuation, then stop on a piece of it.
  GenerateOptions o;
  o.max_new_tokens = 20;
  auto full = reference_->Generate({"a photo of a dog"}, o);
  ASSERT_TRUE(full.ok());
  const std::string text = (*full)[0].text;
  ASSERT_GE(text.size(), 6u) << text;
  o.stop = {text.substr(3, 3)};
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), loaded_->tokenizer->eos_id(), 4, 64);
  Collector c;
  ASSERT_TRUE(sched.Submit(Tokens("a photo of a dog"), ToDecodeOptions(o), c.Callback()).ok());
  c.WaitDone();
  auto want = reference_->Generate({"a photo of a dog"}, o);
  EXPECT_EQ(c.last.text, (*want)[0].text);
  EXPECT_EQ(c.last.finish_reason, "stop");
  EXPECT_EQ(c.streamed, c.last.text);  // the stop string was never streamed
  EXPECT_EQ(c.last.text.find(o.stop[0]), std::string::npos);
}

TEST_F(SchedulerTest, BeamRequestsRunAloneThroughTheGenerator) {
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), loaded_->tokenizer->eos_id(), 8, 64);
  GenerateOptions greedy, beam;
  greedy.max_new_tokens = 30;
  beam.max_new_tokens = 10;
  beam.num_beams = 3;
  Collector a, b, c;
  ASSERT_TRUE(sched.Submit(Tokens("two cats"), ToDecodeOptions(greedy), a.Callback()).ok());
  ASSERT_TRUE(sched.Submit(Tokens("a photo of a dog"), ToDecodeOptions(beam), b.Callback()).ok());
  ASSERT_TRUE(sched.Submit(Tokens("the man"), ToDecodeOptions(greedy), c.Callback()).ok());
  a.WaitDone();
  b.WaitDone();
  c.WaitDone();
  auto want = reference_->Generate({"a photo of a dog"}, beam);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(b.last.text, (*want)[0].text);
  EXPECT_EQ(b.streamed, b.last.text);
  auto want_c = reference_->Generate({"the man"}, greedy);
  EXPECT_EQ(c.last.text, (*want_c)[0].text);
}

TEST_F(SchedulerTest, CancelFreesTheSlotAndItsCache) {
  // No EOS: only max_new_tokens or a cancel ends a request.
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), -1, 1, 64);
  GenerateOptions o;
  o.max_new_tokens = 100;
  Collector running, waiting, queued_then_cancelled;
  running.hold = true;
  auto id = sched.Submit(Tokens("a photo"), ToDecodeOptions(o), running.Callback());
  ASSERT_TRUE(id.ok());
  GenerateOptions short_o;
  short_o.max_new_tokens = 3;
  ASSERT_TRUE(sched.Submit(Tokens("two cats"), ToDecodeOptions(short_o), waiting.Callback()).ok());
  auto id3 = sched.Submit(Tokens("the dog"), ToDecodeOptions(short_o), queued_then_cancelled.Callback());
  ASSERT_TRUE(id3.ok());
  sched.Cancel(*id3);  // still queued behind the single slot
  running.WaitDeltas(1);
  sched.Cancel(*id);
  running.Release();
  running.WaitDone();
  EXPECT_EQ(running.last.finish_reason, "cancelled");
  EXPECT_EQ(running.last.text, running.streamed);
  EXPECT_LT(running.last.completion_tokens, 100u);
  waiting.WaitDone();  // got the freed slot
  EXPECT_EQ(waiting.last.finish_reason == "stop" || waiting.last.finish_reason == "length", true);
  queued_then_cancelled.WaitDone();
  EXPECT_EQ(queued_then_cancelled.last.finish_reason, "cancelled");
  EXPECT_EQ(queued_then_cancelled.last.completion_tokens, 0u);
  const SchedulerStats st = SettledStats(sched);
  EXPECT_EQ(st.cancelled, 2u);
  EXPECT_EQ(st.live, 0u);
  EXPECT_EQ(st.kv_blocks_in_use, 0u);
  sched.Cancel(*id);  // already finished: no effect
}

TEST_F(SchedulerTest, QueueLimitAndStop) {
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), -1, 1, 2);
  GenerateOptions o;
  o.max_new_tokens = 100;
  Collector c[4];
  c[0].hold = true;
  ASSERT_TRUE(sched.Submit(Tokens("a"), ToDecodeOptions(o), c[0].Callback()).ok());
  c[0].WaitDeltas(1);  // admitted: the queue is empty again
  ASSERT_TRUE(sched.Submit(Tokens("b"), ToDecodeOptions(o), c[1].Callback()).ok());
  ASSERT_TRUE(sched.Submit(Tokens("c"), ToDecodeOptions(o), c[2].Callback()).ok());
  auto refused = sched.Submit(Tokens("d"), ToDecodeOptions(o), c[3].Callback());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kUnavailable);
  std::thread stopper([&] { sched.Stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  c[0].Release();
  stopper.join();
  for (int i = 0; i < 3; ++i) {
    c[i].WaitDone();
    EXPECT_EQ(c[i].last.finish_reason, "cancelled") << i;
  }
  EXPECT_FALSE(sched.Submit(Tokens("e"), ToDecodeOptions(o), c[3].Callback()).ok());
}

TEST_F(SchedulerTest, BadRequestsAreRefusedAtSubmit) {
  Scheduler sched(loaded_->lm.get(), loaded_->tokenizer.get(), loaded_->tokenizer->eos_id(), 2, 8);
  Collector c;
  GenerateOptions o;
  EXPECT_FALSE(sched.Submit({}, ToDecodeOptions(o), c.Callback()).ok());
  EXPECT_FALSE(sched.Submit(std::vector<int32_t>(200, 5), ToDecodeOptions(o), c.Callback()).ok());
  EXPECT_FALSE(sched.Submit({1, 1 << 30}, ToDecodeOptions(o), c.Callback()).ok());
  o.top_p = 0;
  EXPECT_FALSE(sched.Submit(Tokens("a"), ToDecodeOptions(o), c.Callback()).ok());
  o.top_p = 1;
  o.max_new_tokens = -1;
  EXPECT_FALSE(sched.Submit(Tokens("a"), ToDecodeOptions(o), c.Callback()).ok());
  o.max_new_tokens = 0;  // nothing to generate: ends at once
  ASSERT_TRUE(sched.Submit(Tokens("a"), ToDecodeOptions(o), c.Callback()).ok());
  c.WaitDone();
  EXPECT_EQ(c.last.finish_reason, "length");
  EXPECT_EQ(c.last.text, "");
}

}  // namespace
}  // namespace capsfusion::engine
