// Logits processors and sampling, against the semantics of Hugging Face
// `generate` worked out by hand.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace capsfusion::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(RngTest, ReproducibleAndUniform) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(Rng(42).Next(), c.Next());
  Rng r(7);
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 20000, 0.5, 0.01);
}

TEST(SamplerTest, RepetitionPenaltyDividesPositivesMultipliesNegativesOnce) {
  std::vector<float> s = {2.0f, -1.0f, 0.5f, 3.0f};
  std::vector<uint8_t> seen;
  const std::vector<int32_t> hist = {0, 1, 0, 0, 1};  // repeats count once
  ApplyRepetitionPenalty(s.data(), 4, hist.data(), hist.size(), 2.0f, &seen);
  EXPECT_FLOAT_EQ(s[0], 1.0f);
  EXPECT_FLOAT_EQ(s[1], -2.0f);
  EXPECT_FLOAT_EQ(s[2], 0.5f);
  EXPECT_FLOAT_EQ(s[3], 3.0f);
  for (uint8_t x : seen) EXPECT_EQ(x, 0);
}

TEST(SamplerTest, NoRepeatNgramBansCompletionsOfSeenNgrams) {
  // History "7 8 9 7 8": with n = 3 the prefix (7, 8) was followed by 9.
  const std::vector<int32_t> hist = {7, 8, 9, 7, 8};
  std::vector<float> s(10, 1.0f);
  ApplyNoRepeatNgram(s.data(), 10, hist.data(), hist.size(), 3);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 9 ? -kInf : 1.0f) << i;
  // n = 2: the last token 8 was followed by 9 before.
  std::fill(s.begin(), s.end(), 1.0f);
  ApplyNoRepeatNgram(s.data(), 10, hist.data(), hist.size(), 2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 9 ? -kInf : 1.0f) << i;
  // n = 1: every seen token.
  std::fill(s.begin(), s.end(), 1.0f);
  ApplyNoRepeatNgram(s.data(), 10, hist.data(), hist.size(), 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], (i >= 7 && i <= 9) ? -kInf : 1.0f) << i;
  // Too short a history for n = 6: nothing.
  std::fill(s.begin(), s.end(), 1.0f);
  ApplyNoRepeatNgram(s.data(), 10, hist.data(), hist.size(), 7);
  for (float x : s) EXPECT_EQ(x, 1.0f);
}

TEST(SamplerTest, ArgmaxAndLogSoftmax) {
  const std::vector<float> x = {1, 3, 3, -2};
  EXPECT_EQ(Argmax(x.data(), 4), 1);  // first of a tie
  std::vector<float> y(4);
  LogSoftmax(x.data(), 4, y.data());
  double total = 0;
  for (float v : y) total += std::exp(v);
  EXPECT_NEAR(total, 1.0, 1e-6);
  EXPECT_NEAR(y[1] - y[0], 2.0, 1e-6);
}

std::map<int32_t, int> Histogram(const std::vector<float>& logits, const SamplingParams& p, int draws,
                                 uint64_t seed = 1) {
  TokenSampler sampler;
  Rng rng(seed);
  std::map<int32_t, int> h;
  for (int i = 0; i < draws; ++i) ++h[sampler.Sample(logits.data(), static_cast<int64_t>(logits.size()), p, &rng)];
  return h;
}

TEST(SamplerTest, TopKKeepsTheKBestAndTies) {
  const std::vector<float> logits = {0, 5, 4, 4, 1, -3};
  SamplingParams p;
  p.top_k = 2;  // keeps 5 and both 4s (a tie at the k-th score is kept)
  auto h = Histogram(logits, p, 3000);
  std::set<int32_t> got;
  for (auto& [id, n] : h) got.insert(id);
  EXPECT_EQ(got, (std::set<int32_t>{1, 2, 3}));
  p.top_k = 1;
  h = Histogram(logits, p, 100);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, 1);
}

TEST(SamplerTest, TopPKeepsTheSmallestSetReachingP) {
  // Probabilities 0.5, 0.3, 0.15, 0.05.
  const std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  SamplingParams p;
  p.top_p = 0.7f;  // 0.5 < 0.7, 0.5 + 0.3 >= 0.7: keep {0, 1}
  auto h = Histogram(logits, p, 4000);
  EXPECT_EQ(h.size(), 2u);
  EXPECT_NEAR(h[0] / 4000.0, 0.5 / 0.8, 0.03);
  p.top_p = 0.8f;  // exactly reached by {0, 1}... within float rounding {0, 1} or {0, 1, 2}
  h = Histogram(logits, p, 1000);
  EXPECT_LE(h.size(), 3u);
  EXPECT_EQ(h.count(3), 0u);
  p.top_p = 0.1f;  // the best token alone
  h = Histogram(logits, p, 200);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(h.begin()->first, 0);
}

TEST(SamplerTest, TemperatureSharpensAndFlattens) {
  const std::vector<float> logits = {1.0f, 0.0f};
  SamplingParams cold, hot;
  cold.temperature = 0.25f;  // p0 = 1 / (1 + e^-4) = 0.982
  hot.temperature = 4.0f;    // p0 = 1 / (1 + e^-0.25) = 0.562
  EXPECT_NEAR(Histogram(logits, cold, 5000)[0] / 5000.0, 0.982, 0.01);
  EXPECT_NEAR(Histogram(logits, hot, 5000)[0] / 5000.0, 0.562, 0.02);
}

TEST(SamplerTest, BannedTokensAreNeverDrawnAndSeedsReproduce) {
  std::vector<float> logits(50, 0.0f);
  logits[3] = -kInf;
  SamplingParams p;
  auto h1 = Histogram(logits, p, 2000, 9);
  EXPECT_EQ(h1.count(3), 0u);
  EXPECT_EQ(h1, Histogram(logits, p, 2000, 9));
  EXPECT_NE(h1, Histogram(logits, p, 2000, 10));
}

}  // namespace
}  // namespace capsfusion::engine
