// The LibTorch model: caching, padding, RoPE, copy mixture, loss.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "train/batch.h"
#include "train/decode.h"
#include "train/model.h"

namespace capsfusion::train {
namespace {

ModelConfig Small(bool copy, int kv_heads = 0) {
  ModelConfig c;
  c.n_vocab = 50;
  c.n_layer = 2;
  c.n_embd = 32;
  c.n_head = 4;
  c.n_head_kv = kv_heads;
  c.n_ff = 48;
  c.n_ctx = 64;
  c.copy_head = copy;
  c.dropout = 0;
  return c;
}

PromptBatch Prompts() {
  PromptBatch p;
  p.ids = {{1, 10, 11, 12, 13, 4}, {1, 20, 21, 4}, {1, 30, 31, 32, 33, 34, 35, 4}};
  for (const auto& v : p.ids) {
    std::vector<uint8_t> s(v.size(), 1);
    s.front() = 0;
    s.back() = 0;
    p.source.push_back(s);
  }
  return p;
}

class ModelTest : public ::testing::TestWithParam<bool> {};

TEST_P(ModelTest, CacheChunksEqualOneCall) {
  torch::manual_seed(1);
  FusionModel m(Small(GetParam(), 2));
  m->eval();
  torch::NoGradGuard g;
  auto ids = torch::randint(3, 50, {2, 9}, torch::kInt64);
  auto pos = torch::arange(9, torch::kInt64).unsqueeze(0).expand({2, 9});
  auto full = m->Hidden(ids, pos);
  KvCache cache;
  auto a = m->Hidden(ids.slice(1, 0, 5), pos.slice(1, 0, 5), {}, &cache);
  auto bias = torch::zeros({1, 1, 4, 9});
  bias.slice(3, 5, 9) = CausalBias(4).squeeze(0).squeeze(0);
  auto b = m->Hidden(ids.slice(1, 5, 9), pos.slice(1, 5, 9), bias, &cache);
  EXPECT_TRUE(torch::allclose(full, torch::cat({a, b}, 1), 1e-5, 1e-5));
}

TEST_P(ModelTest, LeftPaddedBatchEqualsSingles) {
  torch::manual_seed(2);
  FusionModel m(Small(GetParam()));
  m->eval();
  PromptBatch all = Prompts();
  auto batch = NextTokenLogProbs(m, all);
  for (size_t i = 0; i < all.ids.size(); ++i) {
    PromptBatch one;
    one.ids = {all.ids[i]};
    one.source = {all.source[i]};
    auto single = NextTokenLogProbs(m, one);
    EXPECT_TRUE(torch::allclose(batch[i], single[0], 1e-4, 1e-5)) << i;
  }
  // A distribution: probabilities sum to 1.
  EXPECT_TRUE(torch::allclose(batch.exp().sum(-1), torch::ones({3}), 1e-4, 1e-4));
}

TEST_P(ModelTest, GreedyDecodeMatchesStepwiseArgmax) {
  torch::manual_seed(3);
  FusionModel m(Small(GetParam()));
  m->eval();
  PromptBatch all = Prompts();
  GreedyOptions o;
  o.max_new_tokens = 6;
  o.no_repeat_ngram = 0;
  auto out = GreedyDecode(m, all, /*eos=*/2, o);
  for (size_t i = 0; i < all.ids.size(); ++i) {
    PromptBatch p;
    p.ids = {all.ids[i]};
    p.source = {all.source[i]};
    for (int32_t tok : out[i]) {
      auto lp = NextTokenLogProbs(m, p)[0];
      EXPECT_EQ(lp.argmax().item<int64_t>(), tok);
      p.ids[0].push_back(tok);
      p.source[0].push_back(0);  // generated tokens are no copy sources
    }
  }
}

TEST_P(ModelTest, NoRepeatNgramHolds) {
  torch::manual_seed(4);
  FusionModel m(Small(GetParam()));
  m->eval();
  GreedyOptions o;
  o.max_new_tokens = 30;
  o.no_repeat_ngram = 2;
  for (const auto& gen : GreedyDecode(m, Prompts(), /*eos=*/-1, o)) {
    std::set<std::pair<int32_t, int32_t>> seen;
    for (size_t k = 1; k < gen.size(); ++k) EXPECT_TRUE(seen.insert({gen[k - 1], gen[k]}).second);
  }
}

INSTANTIATE_TEST_SUITE_P(CopyHead, ModelTest, ::testing::Bool());

TEST(ModelRopeTest, ShiftingAllPositionsChangesNothing) {
  torch::manual_seed(5);
  FusionModel m(Small(false));
  m->eval();
  torch::NoGradGuard g;
  auto ids = torch::randint(3, 50, {1, 7}, torch::kInt64);
  auto pos = torch::arange(7, torch::kInt64).unsqueeze(0);
  EXPECT_TRUE(torch::allclose(m->Hidden(ids, pos), m->Hidden(ids, pos + 11), 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(m->Hidden(ids, pos), m->Hidden(ids, pos * 2), 1e-4, 1e-4));
}

//! One row: prompt "1 10 11 4" whose tokens 10 and 11 are copy sources.
Example OneRow(std::vector<int32_t> target) {
  Example e;
  e.prompt = {1, 10, 11, 4};
  e.source = {0, 1, 1, 0};
  e.target = std::move(target);
  return e;
}

TEST(ModelLossTest, PlainLossIsCrossEntropyOnTargets) {
  torch::manual_seed(6);
  FusionModel m(Small(false));
  m->eval();
  Example e = OneRow({10, 12, 2});
  Batch b = Collate({&e});
  EXPECT_EQ(b.target_tokens, 3);
  auto ids = torch::tensor(std::vector<int64_t>{1, 10, 11, 4, 10, 12}).unsqueeze(0);
  auto logits = m->Logits(m->Hidden(ids, torch::arange(6, torch::kInt64).unsqueeze(0)))[0];
  auto lp = torch::log_softmax(logits, -1);
  const double want = -(lp[3][10] + lp[4][12] + lp[5][2]).item<double>();
  EXPECT_NEAR(FusionNll(m, b).item<double>(), want, 1e-4);
  // Label smoothing mixes in the mean over the vocabulary.
  const double uniform = -(lp[3].mean() + lp[4].mean() + lp[5].mean()).item<double>();
  EXPECT_NEAR(FusionNll(m, b, 0.1).item<double>(), 0.9 * want + 0.1 * uniform, 1e-4);
}

TEST(ModelLossTest, CopyLossRewardsCopyableTargets) {
  torch::manual_seed(7);
  FusionModel m(Small(true));
  m->eval();
  Example e = OneRow({11, 2});
  Batch b = Collate({&e});
  // The copy part adds probability to token 11 (a source): the mixture's NLL of
  // 11 is below -log(g * p_vocab(11)), and gradients reach the copy head.
  auto nll = FusionNll(m, b);
  nll.backward();
  EXPECT_TRUE(m->copy_q->weight.grad().defined());
  EXPECT_GT(m->copy_q->weight.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(m->copy_gate->bias.grad().abs().item<double>(), 0);
  EXPECT_TRUE(std::isfinite(nll.item<double>()));
}

TEST(ModelLossTest, CopyLabelSmoothingUsesTheWholeMixture) {
  torch::manual_seed(9);
  FusionModel m(Small(true));
  m->eval();
  Example e = OneRow({11, 2});
  Batch b = Collate({&e});
  // The mixture at each target position, as decoding computes it.
  PromptBatch at0, at1;
  at0.ids = {{1, 10, 11, 4}};
  at0.source = {{0, 1, 1, 0}};
  at1.ids = {{1, 10, 11, 4, 11}};
  at1.source = {{0, 1, 1, 0, 0}};
  auto lp0 = NextTokenLogProbs(m, at0)[0], lp1 = NextTokenLogProbs(m, at1)[0];
  const double nll = -(lp0[11] + lp1[2]).item<double>();
  const double uniform = -(lp0.mean() + lp1.mean()).item<double>();
  ASSERT_TRUE(std::isfinite(uniform));
  EXPECT_NEAR(FusionNll(m, b).item<double>(), nll, 1e-4);
  auto smoothed = FusionNll(m, b, 0.2);
  EXPECT_NEAR(smoothed.item<double>(), 0.8 * nll + 0.2 * uniform, 1e-3);
  smoothed.backward();
  EXPECT_GT(m->copy_q->weight.grad().abs().sum().item<double>(), 0);
  EXPECT_TRUE(std::isfinite(m->copy_gate->bias.grad().item<double>()));
}

TEST(ModelConfigTest, ValidateRejectsBadShapes) {
  ModelConfig c = Small(true);
  EXPECT_TRUE(c.Validate().ok());
  c.n_head = 5;
  EXPECT_FALSE(c.Validate().ok());
  c = Small(true, 3);
  EXPECT_FALSE(c.Validate().ok());
  c = Small(true);
  c.dropout = 1.0f;
  EXPECT_FALSE(c.Validate().ok());
}

TEST(ModelExportNamesTest, GgufNamesCoverEveryParameter) {
  FusionModel m(Small(true, 2));
  auto named = m->GgufTensors();
  EXPECT_EQ(named.size(), m->parameters().size());
  EXPECT_EQ(named.front().first, "token_embd.weight");
  ModelConfig untied = Small(false);
  untied.tie_embeddings = false;
  FusionModel u(untied);
  bool has_output = false;
  for (auto& [n, t] : u->GgufTensors()) has_output |= n == "output.weight";
  EXPECT_TRUE(has_output);
}

}  // namespace
}  // namespace capsfusion::train
