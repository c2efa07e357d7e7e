// The generator on a fake model whose logits are a hash of the sequence's whole
// history, read back from the KV cache. Any mistake in batching, prefix
// sharing, forking or beam reordering changes the history a sequence sees and
// therefore its output.
#include "engine/generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "engine/attention.h"
#include "engine/beam_search.h"
#include "engine/sampler.h"
#include "tokenizer/utf8.h"

namespace capsfusion::engine {
namespace {

constexpr int kV = 12;
constexpr int32_t kEos = 2;

// Next-token logits after `history`. Token kEos gets a boost that grows with
// the length, so most sequences stop after 5-15 tokens.
std::vector<float> HistoryLogits(const std::vector<int32_t>& history, int prompt_len_hint = 0) {
  uint64_t h = 1469598103934665603ULL;
  for (int32_t t : history) h = (h ^ static_cast<uint64_t>(t + 1)) * 1099511628211ULL;
  std::vector<float> l(kV);
  for (int v = 0; v < kV; ++v) {
    Rng r(h * 31 + static_cast<uint64_t>(v));
    l[v] = static_cast<float>(6.0 * r.Uniform() - 3.0);
  }
  l[kEos] += 0.25f * static_cast<float>(history.size() % 23) - 3.0f;
  return l;
}

class FakeModel : public LanguageModel {
 public:
  FakeModel() {
    shape_.n_vocab = kV;
    shape_.n_ctx_train = 64;
    shape_.n_layer = 1;
    shape_.n_head = shape_.n_head_kv = 1;
    shape_.head_dim = 1;
  }
  const ModelShape& shape() const override { return shape_; }
  const std::string& weight_type() const override { return type_; }
  uint64_t n_params() const override { return 0; }
  uint32_t context_length() const override { return ctx_; }
  KvCacheConfig kv_cache_config() const override {
    KvCacheConfig c;
    c.n_layer = 1;
    c.n_kv_head = 1;
    c.head_dim = 1;
    c.block_size = 4;  // small blocks: forks and copies happen often
    return c;
  }
  Status Forward(const std::vector<BatchToken>& batch, KvCache* cache, std::vector<float>* logits) override {
    if (fail_at != 0 && calls + 1 == fail_at) {
      ++calls;
      return Status::OutOfRange("injected failure");
    }
    ++calls;
    max_batch = std::max(max_batch, batch.size());
    for (const BatchToken& b : batch) {
      if (b.pos != cache->length(b.seq)) return Status::Internal("non-consecutive position");
      CF_RETURN_IF_ERROR(cache->Reserve(b.seq, b.pos + 1));
      const float t = static_cast<float>(b.token);
      StoreKv(*cache, 0, b.seq, b.pos, &t, &t);
      cache->SetLength(b.seq, b.pos + 1);
      tokens_processed++;
    }
    logits->clear();
    for (const BatchToken& b : batch) {
      if (!b.logits) continue;
      std::vector<int32_t> history;
      const int bs = cache->block_size();
      for (int p = 0; p <= b.pos; ++p) {
        const auto* k = static_cast<const float*>(cache->keys(cache->blocks(b.seq)[p / bs], 0, 0));
        history.push_back(static_cast<int32_t>(k[p % bs]));
      }
      const auto l = HistoryLogits(history);
      logits->insert(logits->end(), l.begin(), l.end());
    }
    return Status::OK();
  }

  uint32_t ctx_ = 64;
  size_t fail_at = 0;  // 1-based call that fails (0: none)
  size_t calls = 0, max_batch = 0, tokens_processed = 0;

 private:
  ModelShape shape_;
  std::string type_ = "fake";
};

// Token t decodes as the letter 'a' + t; EOS (and BOS 1) as nothing.
class FakeTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> Encode(std::string_view, bool) const override { return {}; }
  std::string Decode(const std::vector<int32_t>& ids) const override {
    std::string s;
    for (int32_t t : ids) {
      if (t != kEos && t != 1) s += static_cast<char>('a' + t);
    }
    return s;
  }
  int32_t bos_id() const override { return 1; }
  int32_t eos_id() const override { return kEos; }
  size_t vocab_size() const override { return kV; }
  std::string name() const override { return "fake"; }
};

// Direct greedy decoding of the hash model, the obvious way.
std::vector<int32_t> GreedyReference(std::vector<int32_t> history, int max_new, bool* stopped) {
  std::vector<int32_t> out;
  *stopped = false;
  while (static_cast<int>(out.size()) < max_new) {
    const auto l = HistoryLogits(history);
    const int32_t t = Argmax(l.data(), kV);
    history.push_back(t);
    if (t == kEos) {
      *stopped = true;
      break;
    }
    out.push_back(t);
  }
  return out;
}

std::vector<std::vector<int32_t>> Prompts() {
  // A shared "instruction" of 9 tokens, then different tails.
  const std::vector<int32_t> head = {1, 5, 6, 7, 8, 9, 10, 11, 3};
  std::vector<std::vector<int32_t>> p;
  for (int i = 0; i < 7; ++i) {
    auto q = head;
    for (int k = 0; k <= i; ++k) q.push_back(3 + (i * 7 + k * 5) % 9);
    p.push_back(q);
  }
  p.push_back({1, 4});  // short, shares only BOS
  return p;
}

TEST(GeneratorTest, GreedyMatchesDirectDecodingInBatchesOfAnySize) {
  FakeTokenizer tok;
  const auto prompts = Prompts();
  for (size_t max_batch : {1, 3, 64}) {
    FakeModel model;
    Generator gen(&model, &tok, kEos, max_batch);
    DecodeOptions o;
    o.max_new_tokens = 20;
    auto out = gen.Generate(prompts, o);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    for (size_t i = 0; i < prompts.size(); ++i) {
      bool stopped;
      const auto want = GreedyReference(prompts[i], 20, &stopped);
      EXPECT_EQ((*out)[i].tokens, want) << "prompt " << i << " max_batch " << max_batch;
      EXPECT_EQ((*out)[i].stopped, stopped);
      EXPECT_EQ((*out)[i].text, tok.Decode(want));
      EXPECT_EQ((*out)[i].prompt_tokens, prompts[i].size());
    }
    EXPECT_LE(gen.stats().max_live_sequences, max_batch);
  }
}

TEST(GeneratorTest, PrefixSharingAndReuseChangeNothingButTheWork) {
  FakeTokenizer tok;
  const auto prompts = Prompts();
  DecodeOptions o;
  o.max_new_tokens = 12;
  o.num_beams = 1;

  FakeModel plain_model;
  Generator plain(&plain_model, &tok, kEos, 64);
  o.share_prefix = false;
  auto a = plain.Generate(prompts, o);
  ASSERT_TRUE(a.ok());
  const size_t plain_tokens = plain_model.tokens_processed;

  FakeModel shared_model;
  Generator shared(&shared_model, &tok, kEos, 64);
  o.share_prefix = true;
  // Without the short prompt, all share the 9-token head (+ no more).
  std::vector<std::vector<int32_t>> head_prompts(prompts.begin(), prompts.end() - 1);
  auto b = shared.Generate(head_prompts, o);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(shared.stats().prefix_tokens_shared, 9u);
  EXPECT_EQ(shared.stats().prefix_tokens_reused, 0u);
  for (size_t i = 0; i < head_prompts.size(); ++i) EXPECT_EQ((*b)[i].tokens, (*a)[i].tokens) << i;

  // Second call: the cached head is reused, nothing of it is recomputed.
  const size_t before = shared_model.tokens_processed;
  auto c = shared.Generate(head_prompts, o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(shared.stats().prefix_tokens_reused, 9u);
  EXPECT_EQ(shared.stats().prompt_tokens_computed, shared.stats().prompt_tokens - 9 * head_prompts.size());
  for (size_t i = 0; i < head_prompts.size(); ++i) EXPECT_EQ((*c)[i].tokens, (*a)[i].tokens) << i;
  EXPECT_LT(shared_model.tokens_processed - before, plain_tokens);

  // A call with the short prompt shares only BOS but still reuses the cache per prompt.
  auto d = shared.Generate(prompts, o);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(shared.stats().prefix_tokens_shared, 1u);
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ((*d)[i].tokens, (*a)[i].tokens) << i;
  // One prompt per call: all but its last token is cached for the next call.
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto e = shared.Generate({prompts[i]}, o);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)[0].tokens, (*a)[i].tokens) << i;
  }
  // Identical prompts.
  auto f = shared.Generate({prompts[2], prompts[2], prompts[2]}, o);
  ASSERT_TRUE(f.ok());
  for (int k = 0; k < 3; ++k) EXPECT_EQ((*f)[k].tokens, (*a)[2].tokens);
}

// Beam search through the generator (KV forks, reordering, batching with other
// prompts) equals BeamSearch driven directly by the hash model.
TEST(GeneratorTest, BeamSearchMatchesDirectBookkeeping) {
  FakeTokenizer tok;
  const auto prompts = Prompts();
  for (int beams : {2, 3, 5}) {
    for (EarlyStopping es : {EarlyStopping::kFalse, EarlyStopping::kTrue, EarlyStopping::kNever}) {
      FakeModel model;
      Generator gen(&model, &tok, kEos, 7);
      DecodeOptions o;
      o.max_new_tokens = 10;
      o.num_beams = beams;
      o.num_return_sequences = beams;
      o.early_stopping = es;
      o.length_penalty = 0.7f;
      auto out = gen.Generate(prompts, o);
      ASSERT_TRUE(out.ok()) << out.status().ToString();
      for (size_t i = 0; i < prompts.size(); ++i) {
        BeamOptions bo;
        bo.num_beams = beams;
        bo.length_penalty = 0.7f;
        bo.early_stopping = es;
        bo.max_new_tokens = 10;
        BeamSearch bs(bo);
        std::vector<int> parents;
        while (!bs.done()) {
          std::vector<std::vector<float>> rows;
          for (const auto& b : bs.running()) {
            auto h = prompts[i];
            h.insert(h.end(), b.tokens.begin(), b.tokens.end());
            auto l = HistoryLogits(h);
            std::vector<float> lp(kV);
            LogSoftmax(l.data(), kV, lp.data());
            rows.push_back(lp);
          }
          std::vector<const float*> ptrs;
          for (auto& r : rows) ptrs.push_back(r.data());
          bs.Step(
              ptrs, kV, [](int, int32_t t) { return t == kEos; },
              [&](int b, int32_t t) { return double(rows[b][t]); }, &parents);
        }
        auto want = bs.finished().front().tokens;
        const bool stopped = bs.finished().front().stopped;
        if (!want.empty() && want.back() == kEos) want.pop_back();
        EXPECT_EQ((*out)[i].tokens, want) << "prompt " << i << " beams " << beams;
        EXPECT_EQ((*out)[i].stopped, stopped);
        EXPECT_NEAR((*out)[i].logprob, bs.finished().front().logprob, 1e-4);
        // The other finished beams come back as alternatives, best first.
        const auto& fin = bs.finished();
        ASSERT_EQ((*out)[i].alternatives.size(), fin.size() - 1) << "prompt " << i << " beams " << beams;
        for (size_t k = 1; k < fin.size(); ++k) {
          auto alt = fin[k].tokens;
          if (!alt.empty() && alt.back() == kEos) alt.pop_back();
          const TokenGeneration& a = (*out)[i].alternatives[k - 1];
          EXPECT_EQ(a.tokens, alt) << "prompt " << i << " beams " << beams << " alternative " << k;
          EXPECT_EQ(a.stopped, fin[k].stopped);
          EXPECT_NEAR(a.logprob, fin[k].logprob, 1e-4);
          EXPECT_EQ(a.prompt_tokens, (*out)[i].prompt_tokens);
          EXPECT_TRUE(a.alternatives.empty());
        }
      }
      EXPECT_EQ(gen.cache().live_sequences(), 1);  // only the cached prefix remains
    }
  }
}

TEST(GeneratorTest, OneBeamEqualsGreedy) {
  FakeTokenizer tok;
  FakeModel m1, m2;
  Generator g1(&m1, &tok, kEos, 64), g2(&m2, &tok, kEos, 64);
  DecodeOptions greedy, beam;
  greedy.max_new_tokens = beam.max_new_tokens = 15;
  beam.num_beams = 1;
  auto a = g1.Generate(Prompts(), greedy);
  auto b = g2.Generate(Prompts(), beam);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < a->size(); ++i) EXPECT_EQ((*a)[i].tokens, (*b)[i].tokens);
}

TEST(GeneratorTest, SamplingIsReproducibleAndIndependentOfTheBatch) {
  FakeTokenizer tok;
  const auto prompts = Prompts();
  DecodeOptions o;
  o.max_new_tokens = 15;
  o.temperature = 1.5f;
  o.top_p = 0.95f;
  o.seed = 1234;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 3);
  auto a = gen.Generate(prompts, o);
  auto b = gen.Generate(prompts, o);
  ASSERT_TRUE(a.ok() && b.ok());
  for (size_t i = 0; i < prompts.size(); ++i) EXPECT_EQ((*a)[i].tokens, (*b)[i].tokens);
  // Prompt i alone with seed + i gives the same tokens.
  for (size_t i = 0; i < prompts.size(); ++i) {
    DecodeOptions one = o;
    one.seed = o.seed + i;
    auto c = gen.Generate({prompts[i]}, one);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)[0].tokens, (*a)[i].tokens) << i;
  }
  // Other seeds give other outputs (for most prompts).
  o.seed = 99;
  auto d = gen.Generate(prompts, o);
  ASSERT_TRUE(d.ok());
  int differ = 0;
  for (size_t i = 0; i < prompts.size(); ++i) differ += (*d)[i].tokens != (*a)[i].tokens;
  EXPECT_GE(differ, 4);
  // top_k = 1 is greedy.
  o.top_k = 1;
  auto e = gen.Generate(prompts, o);
  ASSERT_TRUE(e.ok());
  for (size_t i = 0; i < prompts.size(); ++i) {
    bool stopped;
    EXPECT_EQ((*e)[i].tokens, GreedyReference(prompts[i], 15, &stopped)) << i;
  }
}

TEST(GeneratorTest, StopStringsAndLengths) {
  FakeTokenizer tok;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 64);
  const auto prompts = Prompts();
  DecodeOptions o;
  o.max_new_tokens = 20;
  auto full = gen.Generate(prompts, o);
  ASSERT_TRUE(full.ok());
  // Stop at the 2-letter string starting at the 3rd letter of prompt 0's output.
  const std::string text0 = (*full)[0].text;
  ASSERT_GE(text0.size(), 5u);
  const std::string stop = text0.substr(2, 2);
  o.stop = {stop, "zzz"};
  auto cut = gen.Generate(prompts, o);
  ASSERT_TRUE(cut.ok());
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string& t = (*full)[i].text;
    const size_t at = t.find(stop);
    if (at == std::string::npos) {
      EXPECT_EQ((*cut)[i].text, t);
      EXPECT_EQ((*cut)[i].stopped, (*full)[i].stopped);
    } else {
      EXPECT_EQ((*cut)[i].text, t.substr(0, at)) << i;
      EXPECT_TRUE((*cut)[i].stopped);
      // Tokens run up to the one that completed the stop string.
      EXPECT_EQ(tok.Decode((*cut)[i].tokens).find(stop) + stop.size(), tok.Decode((*cut)[i].tokens).size());
    }
  }
  // max_new_tokens: exactly that many unless EOS came first.
  o.stop.clear();
  o.max_new_tokens = 3;
  auto shortr = gen.Generate(prompts, o);
  ASSERT_TRUE(shortr.ok());
  for (size_t i = 0; i < prompts.size(); ++i) {
    if ((*shortr)[i].stopped) {
      EXPECT_LT((*shortr)[i].tokens.size(), 3u);
    } else {
      EXPECT_EQ((*shortr)[i].tokens.size(), 3u);
    }
  }
  o.max_new_tokens = 0;
  auto none = gen.Generate(prompts, o);
  ASSERT_TRUE(none.ok());
  for (const auto& r : *none) {
    EXPECT_TRUE(r.tokens.empty());
    EXPECT_FALSE(r.stopped);
  }
  // Beam search with a stop string.
  o.max_new_tokens = 20;
  o.num_beams = 3;
  o.stop = {stop};
  auto beams = gen.Generate(prompts, o);
  ASSERT_TRUE(beams.ok());
  for (const auto& r : *beams) EXPECT_EQ(r.text.find(stop), std::string::npos);
}

TEST(GeneratorTest, ContextLimitEndsGenerationAndLongPromptsAreRefused) {
  FakeTokenizer tok;
  FakeModel m;
  m.ctx_ = 12;
  Generator gen(&m, &tok, -1, 64);  // no EOS: only the context stops it
  DecodeOptions o;
  o.max_new_tokens = 100;
  auto out = gen.Generate({{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}}, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].tokens.size(), 3u);  // positions 10 and 11 are fed, 3 tokens come out
  EXPECT_FALSE((*out)[0].stopped);
  o.num_beams = 2;
  out = gen.Generate({{1, 3, 4, 5, 6, 7, 8, 9, 10, 11}}, o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_LE((*out)[0].tokens.size(), 3u);
  auto bad = gen.Generate({std::vector<int32_t>(13, 3)}, o);
  EXPECT_EQ(bad.status().code(), Status::Code::kOutOfRange);
}

TEST(GeneratorTest, BadOptionsAndPromptsAreRefused) {
  FakeTokenizer tok;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 64);
  const std::vector<std::vector<int32_t>> p = {{1, 3}};
  auto check = [&](DecodeOptions o) { return gen.Generate(p, o).status().code(); };
  DecodeOptions o;
  o.num_beams = 0;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.num_beams = 2;
  o.temperature = 0.7f;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.num_beams = 2;
  o.num_return_sequences = 3;  // more hypotheses than beams
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o.num_return_sequences = 0;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.top_p = 0;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.temperature = NAN;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.stop = {""};
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  o = DecodeOptions();
  o.max_new_tokens = -1;
  EXPECT_EQ(check(o), Status::Code::kInvalidArgument);
  EXPECT_EQ(gen.Generate({{1, kV}}, DecodeOptions()).status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(gen.Generate({{}}, DecodeOptions()).status().code(), Status::Code::kInvalidArgument);
  auto empty = gen.Generate({}, DecodeOptions());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

// A failing forward call mid-generation returns its error and leaks nothing.
TEST(GeneratorTest, ForwardErrorsReleaseEverything) {
  FakeTokenizer tok;
  const auto prompts = Prompts();
  for (int beams : {1, 3}) {
    for (size_t fail_at : {1, 2, 5}) {
      FakeModel m;
      Generator gen(&m, &tok, kEos, 4);
      DecodeOptions o;
      o.num_beams = beams;
      o.max_new_tokens = 10;
      m.fail_at = fail_at;
      auto bad = gen.Generate(prompts, o);
      ASSERT_FALSE(bad.ok());
      EXPECT_NE(bad.status().message().find("injected"), std::string::npos);
      EXPECT_LE(gen.cache().live_sequences(), 1);  // at most an earlier cached prefix
      m.fail_at = 0;
      auto good = gen.Generate(prompts, o);
      ASSERT_TRUE(good.ok());
      if (beams == 1) {
        for (size_t i = 0; i < prompts.size(); ++i) {
          bool stopped;
          EXPECT_EQ((*good)[i].tokens, GreedyReference(prompts[i], 10, &stopped));
        }
      }
      EXPECT_EQ(gen.cache().live_sequences(), 1);
    }
  }
}

TEST(GeneratorTest, PenaltiesFollowTheirDefinitions) {
  FakeTokenizer tok;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 64);
  DecodeOptions o;
  o.max_new_tokens = 30;
  o.no_repeat_ngram_size = 2;
  auto out = gen.Generate(Prompts(), o);
  ASSERT_TRUE(out.ok());
  const auto prompts = Prompts();
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto h = prompts[i];
    h.insert(h.end(), (*out)[i].tokens.begin(), (*out)[i].tokens.end());
    std::set<std::pair<int32_t, int32_t>> bigrams;
    for (size_t k = 0; k + 1 < h.size(); ++k) {
      EXPECT_TRUE(bigrams.insert({h[k], h[k + 1]}).second) << "prompt " << i << " repeats a bigram";
    }
  }
  // A huge repetition penalty forbids (in effect) any token already seen.
  o.no_repeat_ngram_size = 0;
  o.repetition_penalty = 1e6f;
  o.max_new_tokens = 3;
  out = gen.Generate({{1, 3, 4, 5, 6, 7, 8, 9}}, o);
  ASSERT_TRUE(out.ok());
  for (int32_t t : (*out)[0].tokens) EXPECT_TRUE(t == 0 || t == 2 || t == 10 || t == 11) << t;
}

TEST(GeneratorTest, PenaltiesCanIgnoreThePrompt) {
  FakeTokenizer tok;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 64);
  for (int beams : {1, 3}) {
    DecodeOptions o;
    o.max_new_tokens = 30;
    o.num_beams = beams;
    o.no_repeat_ngram_size = 2;
    o.penalize_prompt = false;
    auto out = gen.Generate(Prompts(), o);
    ASSERT_TRUE(out.ok());
    bool copied_prompt_bigram = false;
    const auto prompts = Prompts();
    for (size_t i = 0; i < prompts.size(); ++i) {
      const auto& t = (*out)[i].tokens;
      std::set<std::pair<int32_t, int32_t>> bigrams;
      for (size_t k = 0; k + 1 < t.size(); ++k) {
        EXPECT_TRUE(bigrams.insert({t[k], t[k + 1]}).second) << "output " << i << " repeats a bigram";
      }
      std::set<std::pair<int32_t, int32_t>> in_prompt;
      for (size_t k = 0; k + 1 < prompts[i].size(); ++k) in_prompt.insert({prompts[i][k], prompts[i][k + 1]});
      for (const auto& b : bigrams) copied_prompt_bigram |= in_prompt.count(b) > 0;
    }
    // Without the prompt in the history, the fake model's continuation may
    // reuse the prompt's bigrams (HF semantics forbid that); greedy does.
    if (beams == 1) {
      EXPECT_TRUE(copied_prompt_bigram);
    }
  }
}

// Tokens 3-10 are byte-fallback tokens of lead and continuation bytes, so the
// hash model writes ill-formed UTF-8 unless constrained; 11 is the text "z".
class ByteTokenizer : public FakeTokenizer {
 public:
  static constexpr uint8_t kBytes[8] = {0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0x80, 0xF0, 0x9F};
  std::string Decode(const std::vector<int32_t>& ids) const override {
    std::string s;
    for (int32_t t : ids) {
      if (TokenByte(t) >= 0) s += static_cast<char>(TokenByte(t));
      if (t == 11) s += 'z';
    }
    return s;
  }
  int TokenByte(int32_t id) const override { return id >= 3 && id <= 10 ? kBytes[id - 3] : -1; }
};

bool WellFormedUtf8(const std::string& s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8CharLength(u + i, s.size() - i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

TEST(GeneratorTest, ByteTokensSpellOnlyWellFormedUtf8) {
  ByteTokenizer tok;
  FakeModel m;
  Generator gen(&m, &tok, kEos, 64);
  const auto prompts = Prompts();
  for (int beams : {1, 3}) {
    for (float temperature : {0.0f, 1.0f}) {
      if (beams > 1 && temperature > 0) continue;
      DecodeOptions o;
      o.max_new_tokens = 40;
      o.num_beams = beams;
      o.temperature = temperature;
      o.seed = 7;
      o.valid_utf8 = false;
      auto free = gen.Generate(prompts, o);
      ASSERT_TRUE(free.ok());
      size_t ill_formed = 0;
      for (const auto& r : *free) ill_formed += !WellFormedUtf8(r.text);
      EXPECT_GT(ill_formed, 0u) << "the fake model should need the constraint";
      o.valid_utf8 = true;
      auto out = gen.Generate(prompts, o);
      ASSERT_TRUE(out.ok());
      for (size_t i = 0; i < out->size(); ++i) {
        const auto& r = (*out)[i];
        // A text cut by max_new_tokens may end inside a character; a finished one may not.
        std::string text = r.text;
        if (!r.stopped) {
          while (!text.empty() && !WellFormedUtf8(text)) text.pop_back();
          EXPECT_GE(text.size() + 3, r.text.size()) << "prompt " << i;
        }
        EXPECT_TRUE(WellFormedUtf8(text)) << "beams " << beams << " temperature " << temperature << " prompt " << i;
        EXPECT_TRUE(r.stopped || r.tokens.size() == 40u);
      }
    }
  }
}

}  // namespace
}  // namespace capsfusion::engine
