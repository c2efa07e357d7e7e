// The length choice among finished beams: word counts, the least-squares fit
// of the expected length, and which beam comes first.
#include "fuse/length_choice.h"

#include <gtest/gtest.h>

#include <vector>

namespace capsfusion {
namespace {

TEST(LengthChoiceTest, WordsAreRunsOfNonSpace) {
  EXPECT_EQ(CountWords(""), 0u);
  EXPECT_EQ(CountWords("  \t\n "), 0u);
  EXPECT_EQ(CountWords("a"), 1u);
  EXPECT_EQ(CountWords("The Acrylic Lectern, Weighs 42 lbs."), 6u);
  EXPECT_EQ(CountWords("  two\twords\n"), 2u);
  EXPECT_EQ(CountWords("caf\xC3\xA9 \xE2\x98\x85 x"), 3u);
}

TEST(LengthChoiceTest, TheFitRecoversAnExactLinearLaw) {
  std::vector<LengthExample> ex;
  for (size_t r = 1; r < 30; r += 3) {
    for (size_t s = 2; s < 20; s += 4) ex.push_back({r, s, 4 + 2 * r + s});  // words = 4 + 2 raw + 1 synthetic
  }
  auto fit = FitExpectedLength(ex);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_NEAR(fit->intercept, 4.0, 1e-9);
  EXPECT_NEAR(fit->per_raw_word, 2.0, 1e-9);
  EXPECT_NEAR(fit->per_synthetic_word, 1.0, 1e-9);
  EXPECT_NEAR(fit->Words(10, 3), 27.0, 1e-9);
  // With noise, the residuals are orthogonal to the regressors (least squares).
  std::vector<LengthExample> noisy = ex;
  for (size_t i = 0; i < noisy.size(); ++i) noisy[i][2] += (i * 7919) % 5;
  auto nf = FitExpectedLength(noisy);
  ASSERT_TRUE(nf.ok());
  double sum[3] = {0, 0, 0};
  for (const auto& e : noisy) {
    const double res = static_cast<double>(e[2]) - nf->Words(e[0], e[1]);
    sum[0] += res;
    sum[1] += res * static_cast<double>(e[0]);
    sum[2] += res * static_cast<double>(e[1]);
  }
  for (double s : sum) EXPECT_NEAR(s, 0.0, 1e-6);
}

TEST(LengthChoiceTest, TheFitRefusesTooLittleOrConstantData) {
  EXPECT_EQ(FitExpectedLength({{1, 2, 3}, {2, 3, 4}}).status().code(), Status::Code::kInvalidArgument);
  // The synthetic length never varies: its coefficient is undetermined.
  auto flat = FitExpectedLength({{1, 5, 3}, {2, 5, 4}, {3, 5, 6}, {4, 5, 7}});
  EXPECT_EQ(flat.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(flat.status().message().find("vary"), std::string::npos);
  // Raw and synthetic lengths always equal: collinear.
  EXPECT_FALSE(FitExpectedLength({{1, 1, 3}, {2, 2, 4}, {3, 3, 6}, {4, 4, 7}}).ok());
}

FusedCaption Beams(std::vector<std::string> texts) {
  FusedCaption c;
  c.text = texts[0];
  c.alternatives.assign(texts.begin() + 1, texts.end());
  return c;
}

TEST(LengthChoiceTest, TheBestLongEnoughBeamComesFirst) {
  LengthChoice choice;
  choice.expected = ExpectedLength{2.0, 1.0, 0.0};  // raw words + 2
  choice.min_ratio = 0.5;
  // Raw of 4 words: 6 expected, at least 3 wanted.
  FusedCaption c = Beams({"one two", "a b c", "x y z w", "p"});
  EXPECT_TRUE(ApplyLengthChoice(choice, "r1 r2 r3 r4", "s", &c));
  EXPECT_EQ(c.text, "a b c");
  EXPECT_EQ(c.alternatives, (std::vector<std::string>{"one two", "x y z w", "p"}));
  // The best is long enough: nothing changes.
  FusedCaption ok = Beams({"a b c d", "e"});
  EXPECT_FALSE(ApplyLengthChoice(choice, "r1 r2 r3 r4", "s", &ok));
  EXPECT_EQ(ok.text, "a b c d");
  // None is long enough: the longest (the first of equals).
  FusedCaption none = Beams({"a", "b c", "d", "e f"});
  EXPECT_TRUE(ApplyLengthChoice(choice, "r1 r2 r3 r4 r5 r6 r7 r8 r9 r10", "s", &none));
  EXPECT_EQ(none.text, "b c");
  EXPECT_EQ(none.alternatives, (std::vector<std::string>{"a", "d", "e f"}));
  // Off, or a single beam: nothing to choose.
  choice.min_ratio = 0;
  FusedCaption off = Beams({"a", "b c d e f"});
  EXPECT_FALSE(ApplyLengthChoice(choice, "r1 r2 r3 r4", "s", &off));
  EXPECT_EQ(off.text, "a");
  choice.min_ratio = 0.5;
  FusedCaption one = Beams({"a"});
  EXPECT_FALSE(ApplyLengthChoice(choice, "r1 r2 r3 r4", "s", &one));
  EXPECT_EQ(one.text, "a");
}

}  // namespace
}  // namespace capsfusion
