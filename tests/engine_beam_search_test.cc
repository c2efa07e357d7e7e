// Beam search bookkeeping on a synthetic model (a hash of the history gives the
// next-token log-probabilities): exhaustive beams against brute force, one beam
// against greedy, and a hand-checked example of the scoring rules.
#include "engine/beam_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "engine/sampler.h"

namespace capsfusion::engine {
namespace {

constexpr int kVocab = 4;
constexpr int32_t kEos = 3;

// Log-probabilities after `history`, deterministic and far from ties.
std::vector<float> SyntheticLogprobs(const std::vector<int32_t>& history, uint64_t salt) {
  uint64_t h = 1469598103934665603ULL ^ salt;
  for (int32_t t : history) h = (h ^ static_cast<uint64_t>(t + 1)) * 1099511628211ULL;
  std::vector<float> logits(kVocab);
  for (int v = 0; v < kVocab; ++v) {
    Rng r(h + static_cast<uint64_t>(v) * 7919);
    logits[v] = static_cast<float>(4.0 * r.Uniform() - 2.0);
  }
  std::vector<float> lp(kVocab);
  LogSoftmax(logits.data(), kVocab, lp.data());
  return lp;
}

BeamSearch::Hypothesis RunBeams(const BeamOptions& o, uint64_t salt, int* steps = nullptr) {
  BeamSearch bs(o);
  std::vector<std::vector<float>> rows;
  std::vector<int> parents;
  int n = 0;
  while (!bs.done()) {
    rows.clear();
    for (const auto& b : bs.running()) rows.push_back(SyntheticLogprobs(b.tokens, salt));
    std::vector<const float*> ptrs;
    for (const auto& r : rows) ptrs.push_back(r.data());
    bs.Step(
        ptrs, kVocab, [](int, int32_t t) { return t == kEos; },
        [&](int b, int32_t t) { return static_cast<double>(rows[b][t]); }, &parents);
    ++n;
  }
  if (steps) *steps = n;
  EXPECT_FALSE(bs.finished().empty());
  return bs.finished().front();
}

struct Best {
  std::vector<int32_t> tokens;
  double score = -1e300;
};

// Every hypothesis that ends at EOS or at max_len, scored sum / len^lp.
void BruteForce(std::vector<int32_t>* prefix, double sum, int max_len, float lp, uint64_t salt, Best* best) {
  const std::vector<float> row = SyntheticLogprobs(*prefix, salt);
  for (int v = 0; v < kVocab; ++v) {
    prefix->push_back(v);
    const double s = sum + row[v];
    if (v == kEos || static_cast<int>(prefix->size()) == max_len) {
      const double score = s / std::pow(static_cast<double>(prefix->size()), lp);
      if (score > best->score) {
        best->score = score;
        best->tokens = *prefix;
      }
    } else {
      BruteForce(prefix, s, max_len, lp, salt, best);
    }
    prefix->pop_back();
  }
}

TEST(BeamSearchTest, ExhaustiveBeamsFindTheBruteForceOptimum) {
  for (float lp : {0.0f, 1.0f, 2.0f, -0.5f}) {
    for (uint64_t salt = 0; salt < 12; ++salt) {
      BeamOptions o;
      o.num_beams = 64;  // every prefix of length < 4 fits in the first num_beams candidates
      o.length_penalty = lp;
      o.early_stopping = EarlyStopping::kNever;  // an exact bound (see beam_search.h)
      o.max_new_tokens = 4;
      const auto got = RunBeams(o, salt);
      Best want;
      std::vector<int32_t> prefix;
      BruteForce(&prefix, 0, 4, lp, salt, &want);
      EXPECT_EQ(got.tokens, want.tokens) << "lp " << lp << " salt " << salt;
      EXPECT_NEAR(got.score, want.score, 1e-5) << "lp " << lp << " salt " << salt;
    }
  }
}

TEST(BeamSearchTest, OneBeamIsGreedy) {
  for (uint64_t salt = 0; salt < 20; ++salt) {
    BeamOptions o;
    o.num_beams = 1;
    o.max_new_tokens = 6;
    const auto got = RunBeams(o, salt);
    std::vector<int32_t> greedy;
    while (static_cast<int>(greedy.size()) < 6) {
      const auto row = SyntheticLogprobs(greedy, salt);
      greedy.push_back(Argmax(row.data(), kVocab));
      if (greedy.back() == kEos) break;
    }
    EXPECT_EQ(got.tokens, greedy) << "salt " << salt;
  }
}

// A table-driven model where greedy and beam search disagree, checked by hand.
//   after []:     A 0.5, B 0.4, EOS 0.1
//   after [A]:    A 0.3, B 0.3, EOS 0.4
//   after [B]:    EOS 0.9, A 0.05, B 0.05
//   otherwise:    EOS 1.0 (almost)
TEST(BeamSearchTest, HandCheckedScores) {
  auto table = [](const std::vector<int32_t>& h) {
    std::vector<float> p = {1e-6f, 1e-6f, 1e-6f, 1.0f};
    if (h.empty()) p = {0.5f, 0.4f, 1e-6f, 0.1f};
    if (h == std::vector<int32_t>{0}) p = {0.3f, 0.3f, 1e-6f, 0.4f};
    if (h == std::vector<int32_t>{1}) p = {0.05f, 0.05f, 1e-6f, 0.9f};
    std::vector<float> lp(4);
    for (int i = 0; i < 4; ++i) lp[i] = std::log(p[i]);
    return lp;
  };
  BeamOptions o;
  o.num_beams = 2;
  o.length_penalty = 1.0f;
  o.max_new_tokens = 5;
  BeamSearch bs(o);
  std::vector<int> parents;
  while (!bs.done()) {
    std::vector<std::vector<float>> rows;
    for (const auto& b : bs.running()) rows.push_back(table(b.tokens));
    std::vector<const float*> ptrs;
    for (const auto& r : rows) ptrs.push_back(r.data());
    bs.Step(
        ptrs, 4, [](int, int32_t t) { return t == kEos; },
        [&](int b, int32_t t) { return static_cast<double>(rows[b][t]); }, &parents);
  }
  // Greedy takes A then EOS: log(0.5 * 0.4) / 2 = -0.805. Beam search also
  // keeps B, whose [B, EOS] scores log(0.4 * 0.9) / 2 = -0.511: the length
  // counts the EOS.
  const auto& best = bs.finished().front();
  EXPECT_EQ(best.tokens, (std::vector<int32_t>{1, kEos}));
  EXPECT_NEAR(best.score, std::log(0.4 * 0.9) / 2, 1e-6);
  EXPECT_NEAR(best.sum_logprobs, std::log(0.4 * 0.9), 1e-6);
  EXPECT_TRUE(best.stopped);
  ASSERT_EQ(bs.finished().size(), 2u);
  EXPECT_EQ(bs.finished()[1].tokens, (std::vector<int32_t>{0, kEos}));
}

TEST(BeamSearchTest, EarlyStoppingTrueStopsAsSoonAsBeamsAreFull) {
  // Every step EOS is likely: with early_stopping=true the search ends once
  // num_beams hypotheses are finished, never later than with false.
  int steps_true = 0, steps_false = 0, steps_never = 0;
  for (uint64_t salt = 0; salt < 10; ++salt) {
    BeamOptions o;
    o.num_beams = 2;
    o.max_new_tokens = 12;
    o.early_stopping = EarlyStopping::kTrue;
    int a, b, c;
    RunBeams(o, salt, &a);
    o.early_stopping = EarlyStopping::kFalse;
    RunBeams(o, salt, &b);
    o.early_stopping = EarlyStopping::kNever;
    RunBeams(o, salt, &c);
    EXPECT_LE(a, b);
    EXPECT_LE(b, c);
    steps_true += a;
    steps_false += b;
    steps_never += c;
  }
  EXPECT_LT(steps_true, steps_never);
}

TEST(BeamSearchTest, LengthLimitFinishesEveryBeam) {
  BeamOptions o;
  o.num_beams = 3;
  o.max_new_tokens = 1;
  BeamSearch bs(o);
  const std::vector<float> row = {-1.0f, -2.0f, -3.0f, -0.5f};
  std::vector<int> parents;
  bs.Step(
      {row.data()}, 4, [](int, int32_t) { return false; }, [&](int, int32_t t) { return double(row[t]); },
      &parents);
  ASSERT_TRUE(bs.done());
  ASSERT_EQ(bs.finished().size(), 3u);
  EXPECT_EQ(bs.finished()[0].tokens, std::vector<int32_t>{3});
  EXPECT_FALSE(bs.finished()[0].stopped);
  EXPECT_EQ(bs.finished()[2].tokens, std::vector<int32_t>{1});
}

}  // namespace
}  // namespace capsfusion::engine

namespace capsfusion::engine {
namespace {

// With a vocabulary of many vector widths, full of equal scores and banned
// (-inf) tokens, the new beams are exactly the best candidates in the order
// (score, then lower beam, then lower token), whatever the scan's shortcuts.
TEST(BeamSearchTest, WideVocabularyKeepsTheTieOrder) {
  constexpr int kWide = 203;
  constexpr int32_t kStop = 7;
  for (uint64_t salt = 0; salt < 20; ++salt) {
    BeamOptions o;
    o.num_beams = 4;
    o.max_new_tokens = 10;
    BeamSearch bs(o);
    std::vector<std::vector<float>> rows;
    std::vector<int> parents;
    for (int step = 0; step < 3; ++step) {
      rows.clear();
      for (size_t b = 0; b < bs.running().size(); ++b) {
        std::vector<float> row(kWide);
        for (int v = 0; v < kWide; ++v) {
          Rng r(salt * 1000003 + step * 7919 + b * 131 + v);
          const double u = r.Uniform();
          // Few distinct values: many exact ties within and across beams.
          row[v] = u < 0.2 ? -INFINITY : -static_cast<float>(static_cast<int>(u * 6)) * 0.5f;
        }
        rows.push_back(row);
      }
      // The expected order, by brute force over every candidate.
      struct C {
        float score;
        int beam;
        int32_t token;
      };
      std::vector<C> all;
      for (size_t b = 0; b < rows.size(); ++b) {
        for (int v = 0; v < kWide; ++v) {
          if (std::isinf(rows[b][v])) continue;
          all.push_back({bs.running()[b].score + rows[b][v], static_cast<int>(b), v});
        }
      }
      std::stable_sort(all.begin(), all.end(), [](const C& a, const C& c) { return a.score > c.score; });
      std::vector<std::pair<int, int32_t>> want;
      for (size_t i = 0; i < all.size() && i < 8 && want.size() < 4; ++i) {
        if (all[i].token != kStop) want.push_back({all[i].beam, all[i].token});
      }
      std::vector<const float*> ptrs;
      for (const auto& r : rows) ptrs.push_back(r.data());
      const std::vector<BeamSearch::Beam> before = bs.running();
      bs.Step(
          ptrs, kWide, [](int, int32_t t) { return t == kStop; },
          [&](int b, int32_t t) { return static_cast<double>(rows[b][t]); }, &parents);
      ASSERT_EQ(parents.size(), want.size()) << "salt " << salt << " step " << step;
      for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(parents[i], want[i].first) << "salt " << salt << " step " << step << " beam " << i;
        EXPECT_EQ(bs.running()[i].tokens.back(), want[i].second) << "salt " << salt << " step " << step;
        EXPECT_EQ(bs.running()[i].tokens.size(), before[parents[i]].tokens.size() + 1);
      }
      if (bs.done()) break;
    }
  }
}

}  // namespace
}  // namespace capsfusion::engine
