// The LLaMA forward pass against the naive reference in engine_reference.h:
// every weight type, tied output, grouped-query attention, several sequences of
// different lengths in one batch, decoding steps on top of prompts, and chunked
// long prompts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "engine/architecture.h"
#include "engine/attention.h"
#include "engine/llama_forward.h"
#include "engine/random_llama.h"
#include "engine/thread_pool.h"
#include "engine_reference.h"
#include "test_util.h"

namespace capsfusion::engine {
namespace {

using gguf::TensorType;

struct Loaded {
  testing::TempDir dir;
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<LanguageModel> lm;
  std::unique_ptr<testing::RefLlama> ref;
};

std::unique_ptr<Loaded> Load(const RandomLlamaConfig& cfg, KvType kv = KvType::kF32) {
  auto m = std::make_unique<Loaded>();
  const std::string path = m->dir.File("m.gguf");
  EXPECT_TRUE(MakeRandomLlama(cfg).Write(path).ok());
  auto f = gguf::GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  m->file = std::move(*f);
  m->pool = std::make_unique<ThreadPool>(2);
  ArchitectureOptions opt;
  opt.pool = m->pool.get();
  opt.kv_type = kv;
  auto lm = LoadLanguageModel(*m->file, opt);
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  m->lm = std::move(*lm);
  m->ref = std::make_unique<testing::RefLlama>(*m->file);
  return m;
}

std::vector<int32_t> Tokens(size_t n, uint32_t seed, int32_t vocab) {
  std::vector<int32_t> t(n);
  uint32_t s = seed * 2654435761u + 7;
  for (auto& x : t) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<int32_t>((s >> 8) % static_cast<uint32_t>(vocab));
  }
  t[0] = 1;  // BOS
  return t;
}

// Largest |engine - reference| over a logits row, relative to the row's largest |reference|.
double RelError(const float* got, const std::vector<double>& want) {
  double err = 0, scale = 1e-9;
  for (size_t i = 0; i < want.size(); ++i) {
    err = std::max(err, std::fabs(got[i] - want[i]));
    scale = std::max(scale, std::fabs(want[i]));
  }
  return err / scale;
}

// One sequence, logits at every position, against the reference.
double PromptError(Loaded& m, const std::vector<int32_t>& tokens) {
  KvCache cache(m.lm->kv_cache_config());
  const int seq = cache.NewSequence();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back(BatchToken{tokens[i], seq, static_cast<int32_t>(i), true});
  }
  std::vector<float> logits;
  Status s = m.lm->Forward(batch, &cache, &logits);
  EXPECT_TRUE(s.ok()) << s.ToString();
  const auto want = m.ref->Logits(tokens);
  const size_t V = m.ref->n_vocab();
  double worst = 0;
  for (size_t i = 0; i < tokens.size(); ++i) worst = std::max(worst, RelError(logits.data() + i * V, want[i]));
  EXPECT_EQ(cache.length(seq), static_cast<int>(tokens.size()));
  return worst;
}

struct TypeCase {
  TensorType type;
  double tolerance;  // relative to the largest logit
};

class ForwardTypeTest : public ::testing::TestWithParam<TypeCase> {};

// F32/F16 weights are exact in the reference; Q8_0/Q4_0 weights are dequantized
// exactly too, but the engine also quantizes activations to Q8_0 (about 0.4%
// per element), hence the looser bound.
TEST_P(ForwardTypeTest, MatchesNaiveReference) {
  RandomLlamaConfig cfg;
  cfg.type = GetParam().type;
  auto m = Load(cfg);
  const double err = PromptError(*m, Tokens(40, 3, static_cast<int32_t>(m->ref->n_vocab())));
  EXPECT_LT(err, GetParam().tolerance) << gguf::TensorTypeName(cfg.type);
}

INSTANTIATE_TEST_SUITE_P(Types, ForwardTypeTest,
                         ::testing::Values(TypeCase{TensorType::kF32, 2e-5}, TypeCase{TensorType::kF16, 2e-5},
                                           TypeCase{TensorType::kQ8_0, 3e-2}, TypeCase{TensorType::kQ4_0, 3e-2}),
                         [](const auto& info) { return std::string(gguf::TensorTypeName(info.param.type)); });

// The F16 cache rounds every key and value to half precision.
TEST(ForwardTest, F16CacheMatchesReferenceLoosely) {
  for (uint32_t kv_heads : {1u, 2u, 4u}) {
    RandomLlamaConfig cfg;
    cfg.n_head_kv = kv_heads;
    auto m = Load(cfg, KvType::kF16);
    const double err = PromptError(*m, Tokens(45, 8, 300));
    EXPECT_LT(err, 3e-3) << kv_heads;
    EXPECT_GT(err, 0.0);
  }
}

TEST(ForwardTest, TiedOutputAndMultiHeadAttention) {
  RandomLlamaConfig cfg;
  cfg.tied_output = true;
  cfg.n_head_kv = 4;  // plain multi-head attention
  auto m = Load(cfg);
  EXPECT_LT(PromptError(*m, Tokens(30, 5, 300)), 2e-5);
}

TEST(ForwardTest, MultiQueryAttentionAndPartialRope) {
  RandomLlamaConfig cfg;
  cfg.n_head_kv = 1;
  auto spec = MakeRandomLlama(cfg);
  spec.Set("llama.rope.dimension_count", gguf::Value::Uint32(8));  // rotate 8 of 16 dims
  testing::TempDir dir;
  ASSERT_TRUE(spec.Write(dir.File("m.gguf")).ok());
  auto f = gguf::GgufFile::Open(dir.File("m.gguf"));
  ASSERT_TRUE(f.ok());
  ThreadPool pool(2);
  ArchitectureOptions opt;
  opt.pool = &pool;
  opt.kv_type = KvType::kF32;
  auto lm = LoadLanguageModel(**f, opt);
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  Loaded m;
  m.lm = std::move(*lm);
  m.ref = std::make_unique<testing::RefLlama>(**f);
  EXPECT_LT(PromptError(m, Tokens(33, 9, 300)), 2e-5);
}

// Three prompts of different lengths in one batch, then decoding steps of all
// three together: every logits row equals the reference's, and equals (bit for
// bit) what the same sequence gives alone.
// A prompt in one call (its F16 blocks converted once for all its queries)
// gives the bits of the same prompt fed one token per call (F16 read in the
// kernels), for every grouping of the query heads.
TEST(ForwardTest, F16CachePromptEqualsTokenByToken) {
  for (uint32_t kv_heads : {1u, 4u}) {
    RandomLlamaConfig cfg;
    cfg.n_head_kv = kv_heads;
    auto m = Load(cfg, KvType::kF16);
    const auto tokens = Tokens(37, 12, 300);
    const size_t V = m->ref->n_vocab();
    KvCache whole(m->lm->kv_cache_config()), steps(m->lm->kv_cache_config());
    const int a = whole.NewSequence(), b = steps.NewSequence();
    std::vector<BatchToken> batch;
    for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], a, static_cast<int32_t>(i), true});
    std::vector<float> all, one;
    ASSERT_TRUE(m->lm->Forward(batch, &whole, &all).ok());
    for (size_t i = 0; i < tokens.size(); ++i) {
      ASSERT_TRUE(m->lm->Forward({BatchToken{tokens[i], b, static_cast<int32_t>(i), true}}, &steps, &one).ok());
      ASSERT_EQ(0, std::memcmp(one.data(), all.data() + i * V, V * sizeof(float))) << "position " << i;
    }
  }
}

TEST(ForwardTest, BatchOfSequencesMatchesReferenceAndSingleRuns) {
  auto m = Load(RandomLlamaConfig());
  const int32_t V = static_cast<int32_t>(m->ref->n_vocab());
  std::vector<std::vector<int32_t>> seqs = {Tokens(7, 1, V), Tokens(19, 2, V), Tokens(3, 3, V)};
  const std::vector<std::vector<int32_t>> extra = {{5, 17, 250}, {42, 43, 44}, {260, 2, 9}};

  KvCache cache(m->lm->kv_cache_config());
  std::vector<int> ids;
  std::vector<BatchToken> batch;
  for (size_t s = 0; s < seqs.size(); ++s) {
    ids.push_back(cache.NewSequence());
    for (size_t i = 0; i < seqs[s].size(); ++i) {
      batch.push_back(BatchToken{seqs[s][i], ids[s], static_cast<int32_t>(i), i + 1 == seqs[s].size()});
    }
  }
  std::vector<float> logits;
  ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
  ASSERT_EQ(logits.size(), 3u * V);
  std::vector<std::vector<float>> batched_rows;
  for (size_t s = 0; s < seqs.size(); ++s) {
    EXPECT_LT(RelError(logits.data() + s * V, m->ref->Logits(seqs[s]).back()), 2e-5);
    batched_rows.emplace_back(logits.begin() + s * V, logits.begin() + (s + 1) * V);
  }
  for (size_t step = 0; step < 3; ++step) {
    batch.clear();
    for (size_t s = 0; s < seqs.size(); ++s) {
      batch.push_back(BatchToken{extra[s][step], ids[s], static_cast<int32_t>(seqs[s].size()), true});
      seqs[s].push_back(extra[s][step]);
    }
    ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
    for (size_t s = 0; s < seqs.size(); ++s) {
      EXPECT_LT(RelError(logits.data() + s * V, m->ref->Logits(seqs[s]).back()), 2e-5) << "step " << step;
      if (step == 2) batched_rows[s].assign(logits.begin() + s * V, logits.begin() + (s + 1) * V);
    }
  }
  // Alone: each final sequence in one call.
  for (size_t s = 0; s < seqs.size(); ++s) {
    KvCache alone(m->lm->kv_cache_config());
    const int id = alone.NewSequence();
    batch.clear();
    for (size_t i = 0; i < seqs[s].size(); ++i) {
      batch.push_back(BatchToken{seqs[s][i], id, static_cast<int32_t>(i), i + 1 == seqs[s].size()});
    }
    ASSERT_TRUE(m->lm->Forward(batch, &alone, &logits).ok());
    EXPECT_EQ(std::vector<float>(logits.begin(), logits.begin() + V), batched_rows[s]) << "sequence " << s;
  }
}

TEST(ForwardTest, LongPromptIsProcessedInChunks) {
  RandomLlamaConfig cfg;
  cfg.n_ctx = 1024;
  cfg.n_layer = 1;
  auto m = Load(cfg);
  const auto tokens = Tokens(LlamaForward::kMaxChunk + 90, 11, 300);
  KvCache cache(m->lm->kv_cache_config());
  const int seq = cache.NewSequence();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back(BatchToken{tokens[i], seq, static_cast<int32_t>(i), i % 97 == 0 || i + 1 == tokens.size()});
  }
  std::vector<float> logits;
  ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
  const auto want = m->ref->Logits(tokens);
  size_t row = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!batch[i].logits) continue;
    EXPECT_LT(RelError(logits.data() + row * m->ref->n_vocab(), want[i]), 5e-5) << "position " << i;
    ++row;
  }
}

TEST(ForwardTest, ForkedSequenceSharesThePrefix) {
  auto m = Load(RandomLlamaConfig());
  const auto prompt = Tokens(21, 4, 300);  // crosses a block boundary
  KvCache cache(m->lm->kv_cache_config());
  const int base = cache.NewSequence();
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < prompt.size(); ++i) batch.push_back(BatchToken{prompt[i], base, static_cast<int32_t>(i), false});
  std::vector<float> logits;
  ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
  // Two forks continue differently; the base is untouched.
  const int a = cache.Fork(base), b = cache.Fork(base);
  batch = {BatchToken{7, a, 21, true}, BatchToken{8, b, 21, true}};
  ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
  auto pa = prompt, pb = prompt;
  pa.push_back(7);
  pb.push_back(8);
  EXPECT_LT(RelError(logits.data(), m->ref->Logits(pa).back()), 2e-5);
  EXPECT_LT(RelError(logits.data() + m->ref->n_vocab(), m->ref->Logits(pb).back()), 2e-5);
  batch = {BatchToken{9, base, 21, true}};
  ASSERT_TRUE(m->lm->Forward(batch, &cache, &logits).ok());
  auto pc = prompt;
  pc.push_back(9);
  EXPECT_LT(RelError(logits.data(), m->ref->Logits(pc).back()), 2e-5);
}

TEST(ForwardTest, InvalidBatchesAreRefused) {
  auto m = Load(RandomLlamaConfig());
  KvCache cache(m->lm->kv_cache_config());
  const int seq = cache.NewSequence();
  std::vector<float> logits;
  const int32_t V = static_cast<int32_t>(m->ref->n_vocab());
  EXPECT_EQ(m->lm->Forward({BatchToken{V, seq, 0, true}}, &cache, &logits).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m->lm->Forward({BatchToken{-1, seq, 0, true}}, &cache, &logits).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m->lm->Forward({BatchToken{5, seq + 1, 0, true}}, &cache, &logits).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(m->lm->Forward({BatchToken{5, seq, 1, true}}, &cache, &logits).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(m->lm->Forward({BatchToken{5, seq, 0, true}, BatchToken{5, seq, 2, true}}, &cache, &logits).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(cache.length(seq), 0);
  // Past the context.
  KvCache big(m->lm->kv_cache_config());
  const int s2 = big.NewSequence();
  std::vector<BatchToken> batch;
  for (int i = 0; i < 257; ++i) batch.push_back(BatchToken{5, s2, i, false});
  EXPECT_EQ(m->lm->Forward(batch, &big, &logits).code(), Status::Code::kOutOfRange);
}

TEST(ForwardTest, AttentionPathIsReported) {
  const std::string path = AttentionPath();
  EXPECT_TRUE(path == "avx512" || path == "avx2" || path == "generic");
}

}  // namespace
}  // namespace capsfusion::engine
