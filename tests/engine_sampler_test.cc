// Logits processors and sampling, against the semantics of Hugging Face
// `generate` worked out by hand.
#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
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

//! The tokens ApplySpanContinuation should favour, found the slow way: for
//! every span length from the longest down, every place in the source where the
//! generated tail repeats, then what follows it.
std::set<int32_t> NaiveContinuations(const std::vector<int32_t>& src, const std::vector<int32_t>& gen, int min_match) {
  for (int k = static_cast<int>(std::min<size_t>(32, gen.size())); k >= min_match; --k) {
    std::set<int32_t> next;
    for (size_t start = 0; start + k < src.size(); ++start) {
      if (std::equal(gen.end() - k, gen.end(), src.begin() + start)) next.insert(src[start + k]);
    }
    if (!next.empty()) return next;
  }
  return {};
}

TEST(SamplerTest, SpanContinuationFollowsTheLongestRepeatedSpan) {
  // Source "5 6 7 6 8": after "5 6" the longest repeated span ends at the first
  // 6, so 7 continues it, not the 8 after the other 6.
  const std::vector<int32_t> src = {5, 6, 7, 6, 8};
  std::vector<float> s(10, 0.0f);
  const std::vector<int32_t> gen = {9, 5, 6};
  ApplySpanContinuation(s.data(), 10, src.data(), src.size(), gen.data(), gen.size(), 2.0f, 1, false);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 7 ? 2.0f : 0.0f) << i;
  // With only "6" repeated, both continuations tie.
  std::fill(s.begin(), s.end(), 0.0f);
  const std::vector<int32_t> tail6 = {9, 6};
  ApplySpanContinuation(s.data(), 10, src.data(), src.size(), tail6.data(), tail6.size(), 2.0f, 1, false);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], (i == 7 || i == 8) ? 2.0f : 0.0f) << i;
  // ...unless a single repeated token is below min_match.
  std::fill(s.begin(), s.end(), 0.0f);
  ApplySpanContinuation(s.data(), 10, src.data(), src.size(), tail6.data(), tail6.size(), 2.0f, 2, false);
  for (float x : s) EXPECT_EQ(x, 0.0f);
  // The end of the source has no continuation; banned tokens stay banned.
  std::fill(s.begin(), s.end(), 0.0f);
  s[7] = -kInf;
  ApplySpanContinuation(s.data(), 10, src.data(), src.size(), gen.data(), gen.size(), 2.0f, 1, false);
  EXPECT_EQ(s[7], -kInf);
  for (int i = 0; i < 10; ++i) {
    if (i != 7) EXPECT_EQ(s[i], 0.0f) << i;
  }
}

TEST(SamplerTest, SpanContinuationRenormalisesLogProbabilities) {
  std::vector<float> logits = {1.0f, 0.5f, -0.5f, 2.0f, 0.0f, -1.0f};
  std::vector<float> lp(6);
  LogSoftmax(logits.data(), 6, lp.data());
  const std::vector<int32_t> src = {3, 1, 4, 1, 5};
  const std::vector<int32_t> gen = {3, 1};
  auto out = lp;
  ApplySpanContinuation(out.data(), 6, src.data(), src.size(), gen.data(), gen.size(), 1.5f, 2, true);
  EXPECT_NEAR(LogSumExp(out.data(), 6), 0.0, 1e-5);
  // Token 4 gained exactly the bonus relative to every other token.
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(out[i] - out[0], lp[i] - lp[0] + (i == 4 ? 1.5f : 0.0f), 1e-5) << i;
  }
  // A continuation banned before stays banned, and the rest is renormalised.
  out = lp;
  out[4] = -kInf;
  ApplySpanContinuation(out.data(), 6, src.data(), src.size(), gen.data(), gen.size(), 1.5f, 2, true);
  EXPECT_EQ(out[4], -kInf);
  EXPECT_NEAR(LogSumExp(out.data(), 6), 0.0, 1e-5);
  // A bonus of 0 changes nothing.
  out = lp;
  ApplySpanContinuation(out.data(), 6, src.data(), src.size(), gen.data(), gen.size(), 0.0f, 1, true);
  EXPECT_EQ(out, lp);
}

TEST(SamplerTest, SpanContinuationMatchesTheNaiveSearch) {
  Rng rng(11);
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<int32_t> src(2 + rng.Next() % 30), gen(1 + rng.Next() % 12);
    for (auto& t : src) t = static_cast<int32_t>(rng.Next() % 4);  // few symbols: many repeats
    for (auto& t : gen) t = static_cast<int32_t>(rng.Next() % 4);
    const int min_match = 1 + static_cast<int>(rng.Next() % 3);
    std::vector<float> s(4, 0.0f);
    ApplySpanContinuation(s.data(), 4, src.data(), src.size(), gen.data(), gen.size(), 1.0f, min_match, false);
    const std::set<int32_t> want = NaiveContinuations(src, gen, min_match);
    for (int32_t t = 0; t < 4; ++t) EXPECT_EQ(s[t], want.count(t) ? 1.0f : 0.0f) << "trial " << trial << " token " << t;
  }
}

TEST(SamplerTest, NoAdjacentRepeatBansTheTokenThatDoublesABlock) {
  std::vector<float> s(10, 0.0f);
  const std::vector<int32_t> none;
  // "4 5 6 | 5 6 ?": 5 would start a third block, which is not a repeat yet;
  // "... 6 6" (k=1) and "5 6 5 6" (k=2 after "5 6 5") are.
  const std::vector<int32_t> gen = {4, 5, 6};
  ApplyNoAdjacentRepeat(s.data(), 10, none.data(), 0, gen.data(), gen.size(), 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 6 ? -kInf : 0.0f) << i;
  std::fill(s.begin(), s.end(), 0.0f);
  const std::vector<int32_t> gen2 = {5, 6, 5};
  ApplyNoAdjacentRepeat(s.data(), 10, none.data(), 0, gen2.data(), gen2.size(), 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], (i == 5 || i == 6) ? -kInf : 0.0f) << i;
  // max_block 1 bans only the single-token stutter.
  std::fill(s.begin(), s.end(), 0.0f);
  ApplyNoAdjacentRepeat(s.data(), 10, none.data(), 0, gen2.data(), gen2.size(), 1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 5 ? -kInf : 0.0f) << i;
  // A doubled block of the source may be copied ("Duran Duran").
  std::fill(s.begin(), s.end(), 0.0f);
  const std::vector<int32_t> src = {1, 5, 6, 5, 6, 2};
  ApplyNoAdjacentRepeat(s.data(), 10, src.data(), src.size(), gen2.data(), gen2.size(), 4);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s[i], i == 5 ? -kInf : 0.0f) << i;  // "5 5" is not in it
  // 0 is off; an empty output bans nothing.
  std::fill(s.begin(), s.end(), 0.0f);
  ApplyNoAdjacentRepeat(s.data(), 10, none.data(), 0, gen2.data(), gen2.size(), 0);
  ApplyNoAdjacentRepeat(s.data(), 10, none.data(), 0, none.data(), 0, 4);
  for (float x : s) EXPECT_EQ(x, 0.0f);
}

// Whether `seq` ends with a block of 1..max_block tokens written twice, absent
// doubled from `src`: the definition, by brute force.
bool NaiveEndsDoubled(const std::vector<int32_t>& seq, const std::vector<int32_t>& src, int max_block) {
  for (size_t k = 1; k <= static_cast<size_t>(max_block) && 2 * k <= seq.size(); ++k) {
    const std::vector<int32_t> doubled(seq.end() - 2 * k, seq.end());
    if (!std::equal(doubled.begin(), doubled.begin() + k, doubled.begin() + k)) continue;
    bool in_src = false;
    for (size_t j = 0; j + 2 * k <= src.size(); ++j) in_src |= std::equal(doubled.begin(), doubled.end(), src.begin() + j);
    if (!in_src) return true;
  }
  return false;
}

TEST(SamplerTest, NoAdjacentRepeatMatchesTheNaiveDefinition) {
  Rng rng(5);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<int32_t> src(rng.Next() % 12), gen(rng.Next() % 10);
    for (auto& t : src) t = static_cast<int32_t>(rng.Next() % 3);  // few symbols: many repeats
    for (auto& t : gen) t = static_cast<int32_t>(rng.Next() % 3);
    const int max_block = static_cast<int>(rng.Next() % 5);
    std::vector<float> s(3, 0.0f);
    ApplyNoAdjacentRepeat(s.data(), 3, src.data(), src.size(), gen.data(), gen.size(), max_block);
    for (int32_t t = 0; t < 3; ++t) {
      std::vector<int32_t> seq = gen;
      seq.push_back(t);
      EXPECT_EQ(s[t] == -kInf, NaiveEndsDoubled(seq, src, max_block)) << "trial " << trial << " token " << t;
    }
  }
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
