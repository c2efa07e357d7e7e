// Small hand-computed cases for ScoreTokenized and its building blocks. They
// need no shared data.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "capsfusion/metrics.h"
#include "eval/ngrams.h"
#include "eval/pairwise_sum.h"

namespace capsfusion {
namespace {

constexpr double kB2 = 1.44;  // ROUGE-L beta^2 (0x1.70a3d70a3d70ap+0 == 1.44)

std::vector<std::string> Split(std::string_view s, bool* same) {
  std::vector<std::string_view> v;
  *same = eval::SplitPyWhitespace(s, &v);
  return std::vector<std::string>(v.begin(), v.end());
}

TEST(SplitTest, PythonWhitespaceSplit) {
  bool same;
  EXPECT_EQ(Split("a b c", &same), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(same);
  EXPECT_EQ(Split("  a\t\nb  ", &same), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(same);
  // U+00A0, U+2009, U+3000, U+0085 split; U+200B (zero width space) does not.
  EXPECT_EQ(Split("310\xC2\xA0" "570 x\xE2\x80\x89y\xE3\x80\x80z\xC2\x85w", &same),
            (std::vector<std::string>{"310", "570", "x", "y", "z", "w"}));
  EXPECT_FALSE(same);
  EXPECT_EQ(Split("a\xE2\x80\x8B" "b", &same), (std::vector<std::string>{"a\xE2\x80\x8B" "b"}));
  EXPECT_TRUE(same);
  // Non-whitespace multibyte characters stay whole ("é", "—").
  EXPECT_EQ(Split("caf\xC3\xA9 \xE2\x80\x94", &same), (std::vector<std::string>{"caf\xC3\xA9", "\xE2\x80\x94"}));
  EXPECT_TRUE(Split("", &same).empty());
  EXPECT_FALSE(same);  // "".split(' ') == ['']
  // A truncated sequence at the end is not whitespace and does not overrun.
  EXPECT_EQ(Split("a\xE2\x80", &same), (std::vector<std::string>{"a\xE2\x80"}));
}

TEST(SplitTest, SpaceSplitKeepsEmptyPieces) {
  std::vector<std::string_view> v;
  eval::SplitOnSpace("a  b ", &v);
  EXPECT_EQ(v, (std::vector<std::string_view>{"a", "", "b", ""}));
  eval::SplitOnSpace("", &v);
  EXPECT_EQ(v, (std::vector<std::string_view>{""}));
}

TEST(NGramTest, InsertionOrderAndCounts) {
  eval::NGramTable table;
  eval::NGramCounter counter;
  eval::NGramCounts c;
  const uint32_t a = 7, b = 9;
  const std::vector<uint32_t> toks = {a, b, a, b};
  counter.Count(toks.data(), toks.size(), true, &table, &c);
  EXPECT_EQ(c.length, 4u);
  // unigrams a, b; bigrams ab, ba; trigrams aba, bab; 4-gram abab.
  EXPECT_EQ(c.begin, (std::array<uint32_t, 5>{0, 2, 4, 6, 7}));
  const std::vector<uint32_t> counts = {2, 2, 2, 1, 1, 1, 1};
  for (size_t i = 0; i < counts.size(); ++i) EXPECT_EQ(c.entries[i].count, counts[i]) << i;
  const uint32_t ab = table.Find(table.Find(eval::NGramTable::kNoPrefix, a), b);
  EXPECT_EQ(c.entries[2].id, ab);
  // Without insertion, unseen n-grams get local ids; seen ones keep theirs.
  const std::vector<uint32_t> other = {b, a, 5};
  eval::NGramCounts d;
  counter.Count(other.data(), other.size(), false, &table, &d);
  EXPECT_EQ(d.entries[0].id, c.entries[1].id);  // b
  EXPECT_EQ(d.entries[3].id, c.entries[3].id);  // ba
  EXPECT_GE(d.entries[2].id, eval::NGramTable::kLocalBase);  // 5
  EXPECT_GE(d.entries[4].id, eval::NGramTable::kLocalBase);  // a 5
  EXPECT_EQ(table.size(), 7u);
}

TEST(PairwiseSumTest, MatchesNumpyBlocking) {
  // 1e16 + 1 rounds back to 1e16, so a left-to-right sum loses every 1.
  std::vector<double> v(16, 1.0);
  v[0] = 1e16;
  double naive = 0;
  for (double x : v) naive += x;
  EXPECT_EQ(naive, 1e16);
  // numpy: r0 = 1e16 + 1 = 1e16, r1..r7 = 2; ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)).
  EXPECT_EQ(eval::PairwiseSum(v.data(), v.size()), 1e16 + 14);
  EXPECT_EQ(eval::NumpyMean(v), (1e16 + 14) / 16);
  // Fewer than 8: plain sum.
  EXPECT_EQ(eval::PairwiseSum(v.data(), 5), 1e16);
  // Over 128: split at 64 for n = 130 (65 -> 64), each half blocked.
  std::vector<double> w(130);
  for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0 / (i + 1);
  EXPECT_EQ(eval::PairwiseSum(w.data(), 130),
            eval::PairwiseSum(w.data(), 64) + eval::PairwiseSum(w.data() + 64, 66));
  EXPECT_EQ(eval::NumpyMean({}), 0.0);
}

TEST(ScoreTokenizedTest, IdenticalCaptionScoresOne) {
  const CorpusScores s = ScoreTokenized({{"a man riding a horse"}, {"two dogs"}},
                                        {"a man riding a horse", "two dogs"});
  for (double b : s.per_item[0].bleu) {
    // (L + 1e-15) / (L + 1e-9) keeps BLEU a hair under 1 (the ratio too).
    EXPECT_LT(b, 1.0);
    EXPECT_NEAR(b, 1.0, 1e-8);
  }
  EXPECT_EQ(s.per_item[0].rouge_l, 1.0);
  EXPECT_EQ(s.per_item[1].rouge_l, 1.0);
  // "two dogs" has no 3- or 4-grams: guess 0 gives the factor
  // (0 + 1e-15) / (0 + 1e-9) = 1e-6, so BLEU-3 = (1e-6)^(1/3) = 0.01 and
  // BLEU-4 = (1e-12)^(1/4) = 0.001, as pycocoevalcap reports.
  EXPECT_NEAR(s.per_item[1].bleu[1], 1.0, 1e-8);
  EXPECT_NEAR(s.per_item[1].bleu[2], 0.01, 1e-10);
  EXPECT_NEAR(s.per_item[1].bleu[3], 0.001, 1e-11);
  EXPECT_EQ(s.bleu_totals.testlen, 7u);
  EXPECT_EQ(s.bleu_totals.reflen, 7u);
  EXPECT_EQ(s.bleu_totals.guess, (std::array<uint64_t, 4>{7, 5, 3, 2}));
  EXPECT_EQ(s.bleu_totals.correct, (std::array<uint64_t, 4>{7, 5, 3, 2}));
  // The corpus has 3- and 4-grams, so corpus BLEU is about 1 for every order.
  for (double b : s.corpus.bleu) EXPECT_NEAR(b, 1.0, 1e-8);
  // All n-grams occur in one item of two: weight log 2; cosine 1 for the
  // orders present. Item 0 has all 4 orders: 10; item 1 only 2: 5.
  EXPECT_NEAR(s.per_item[0].cider_d, 10.0, 1e-12);
  EXPECT_NEAR(s.per_item[1].cider_d, 5.0, 1e-12);
  EXPECT_NEAR(s.corpus.cider_d, 7.5, 1e-12);
}

TEST(ScoreTokenizedTest, HandComputedTwoItems) {
  // N = 2, every reference n-gram has df 1, an unseen one df 0 -> weight log 2.
  const CorpusScores s = ScoreTokenized({{"a b"}, {"c d"}}, {"a b", "c e"});
  // Item 1: unigram cosine = (log2)^2 / (sqrt2 log2)^2 = 0.5; bigram 0.
  EXPECT_NEAR(s.per_item[0].cider_d, 5.0, 1e-12);
  EXPECT_NEAR(s.per_item[1].cider_d, 10 * 0.5 / 4, 1e-12);
  EXPECT_NEAR(s.corpus.cider_d, (5.0 + 1.25) / 2, 1e-12);
  // ROUGE-L item 1: LCS 1, P = R = 1/2 -> F = 1/2.
  EXPECT_NEAR(s.per_item[1].rouge_l, 0.5, 1e-15);
  EXPECT_NEAR(s.corpus.rouge_l, 0.75, 1e-15);
  // BLEU item 1: 1 of 2 unigrams, 0 of 1 bigram, no 3/4-grams (guess 0);
  // ratio (2 + 1e-15) / (2 + 1e-9) < 1 applies a tiny brevity penalty.
  const double p1 = (1 + 1e-15) / (2 + 1e-9), p2 = (0 + 1e-15) / (1 + 1e-9), p3 = 1e-15 / 1e-9;
  const double bp = std::exp(1 - (2 + 1e-9) / (2 + 1e-15));
  EXPECT_NEAR(s.per_item[1].bleu[0], p1 * bp, 1e-15);
  EXPECT_NEAR(s.per_item[1].bleu[1], std::sqrt(p1 * p2) * bp, 1e-22);
  EXPECT_NEAR(s.per_item[1].bleu[2], std::cbrt(p1 * p2 * p3) * bp, 1e-22);
  EXPECT_EQ(s.bleu_totals.correct, (std::array<uint64_t, 4>{3, 1, 0, 0}));
  EXPECT_EQ(s.bleu_totals.guess, (std::array<uint64_t, 4>{4, 2, 0, 0}));
}

TEST(ScoreTokenizedTest, SingleItemCiderIsZero) {
  // log(N) = log(1) = 0: every weight is 0, as in pycocoevalcap.
  const CorpusScores s = ScoreTokenized({{"a b c"}}, {"a b c"});
  EXPECT_EQ(s.corpus.cider_d, 0.0);
}

TEST(ScoreTokenizedTest, MultipleReferencesClosestLengthAndClipping) {
  // Candidate of 3 tokens; references of 2 and 4 tokens tie: the shorter wins.
  const CorpusScores s = ScoreTokenized({{"a a b b", "a c"}, {"x"}}, {"a a a", "x"});
  EXPECT_EQ(s.bleu_totals.reflen, 2u + 1u);
  // "a" occurs 3 times; at most 2 times in one reference -> 2 correct.
  EXPECT_EQ(s.bleu_totals.correct[0], 2u + 1u);
  // "a a" twice in the candidate, once in the first reference.
  EXPECT_EQ(s.bleu_totals.correct[1], 1u);
  // testlen 3 > reflen 2: no brevity penalty; p1 = (2 + tiny) / (3 + small).
  EXPECT_NEAR(s.per_item[0].bleu[0], (2 + 1e-15) / (3 + 1e-9), 1e-16);
  // ROUGE-L: best precision and best recall are taken separately:
  // ref 1: LCS 2, P 2/3, R 1/2; ref 2: LCS 1, P 1/3, R 1/2.
  const double p = 2.0 / 3.0, r = 0.5;
  EXPECT_NEAR(s.per_item[0].rouge_l, (1 + kB2) * p * r / (r + kB2 * p), 1e-15);
}

TEST(ScoreTokenizedTest, NoBreakSpaceSplitsForBleuNotRouge) {
  // "310\u00A0570" is one ROUGE token but two BLEU/CIDEr tokens.
  const CorpusScores s = ScoreTokenized({{"call 310 570"}, {"other words here"}},
                                        {"call 310\xC2\xA0" "570", "other words here"});
  EXPECT_NEAR(s.per_item[0].bleu[2], 1.0, 1e-8);
  EXPECT_EQ(s.bleu_totals.testlen, 6u);
  // ROUGE: candidate ["call", "310\u00A0570"], LCS 1: P 1/2, R 1/3.
  const double p = 0.5, r = 1.0 / 3.0;
  EXPECT_NEAR(s.per_item[0].rouge_l, (1 + kB2) * p * r / (r + kB2 * p), 1e-15);
}

TEST(ScoreTokenizedTest, DoubleSpaceMakesEmptyRougeToken) {
  // split(' ') of "a  b" is ["a", "", "b"]: LCS 2 with "a b", P 2/3, R 1.
  const CorpusScores s = ScoreTokenized({{"a b"}, {"c"}}, {"a  b", "c"});
  const double p = 2.0 / 3.0, r = 1.0;
  EXPECT_NEAR(s.per_item[0].rouge_l, (1 + kB2) * p * r / (r + kB2 * p), 1e-15);
  EXPECT_NEAR(s.per_item[0].bleu[1], 1.0, 1e-8);  // BLEU ignores the extra space
}

TEST(ScoreTokenizedTest, EdgeCasesDoNotCrash) {
  // Empty candidate, empty reference, an item without references, and fewer
  // candidates than items (the missing one counts as empty).
  const CorpusScores s = ScoreTokenized({{"a b"}, {""}, {}, {"x y"}}, {"", "a", "q"});
  ASSERT_EQ(s.per_item.size(), 4u);
  for (const CaptionScores& item : s.per_item) {
    for (double b : item.bleu) EXPECT_TRUE(std::isfinite(b));
    EXPECT_TRUE(std::isfinite(item.rouge_l));
    EXPECT_TRUE(std::isfinite(item.cider_d));
  }
  EXPECT_EQ(s.per_item[0].bleu[0], 0.0);  // testlen 0: brevity penalty exp(1 - 1e6)
  EXPECT_EQ(s.per_item[0].rouge_l, 0.0);
  EXPECT_EQ(s.per_item[2].cider_d, 0.0);
  EXPECT_EQ(s.per_item[2].rouge_l, 0.0);
  EXPECT_EQ(s.bleu_totals.testlen, 2u);  // "a" and "q"
  const CorpusScores none = ScoreTokenized({}, {});
  EXPECT_TRUE(none.per_item.empty());
  EXPECT_EQ(none.corpus.cider_d, 0.0);
}

TEST(ScoreTokenizedTest, RandomBytesGiveFiniteScores) {
  // Arbitrary bytes, including broken UTF-8 and whitespace fragments.
  uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  const char pieces[][4] = {"a", "b", " ", "  ", "\xC2\xA0", "\xC2", "\xE2\x80", "\xE3\x80\x80", "\t", "\xFF", "zz"};
  auto random_text = [&] {
    std::string t;
    const uint32_t n = next() % 12;
    for (uint32_t i = 0; i < n; ++i) t += pieces[next() % (sizeof(pieces) / sizeof(pieces[0]))];
    return t;
  };
  std::vector<std::vector<std::string>> refs;
  std::vector<std::string> cands;
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> r;
    const uint32_t nr = next() % 3;
    for (uint32_t k = 0; k < nr; ++k) r.push_back(random_text());
    refs.push_back(r);
    cands.push_back(random_text());
  }
  const CorpusScores s = ScoreTokenized(refs, cands);
  for (const CaptionScores& item : s.per_item) {
    for (double b : item.bleu) ASSERT_TRUE(std::isfinite(b));
    ASSERT_TRUE(std::isfinite(item.rouge_l));
    ASSERT_TRUE(std::isfinite(item.cider_d));
  }
  EXPECT_TRUE(std::isfinite(s.corpus.cider_d));
}

}  // namespace
}  // namespace capsfusion
