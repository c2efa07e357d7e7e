// The reference choice among finished beams (fuse --closest-to): closeness of
// two captions and the order it gives the beams.
#include "fuse/reference_choice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace capsfusion {
namespace {

TEST(ReferenceChoiceTest, ClosenessIsRougeLPlusSmoothedBleuOnPtbTokens) {
  const std::string ref = "The Eiffel Tower in Paris at sunset.";
  EXPECT_DOUBLE_EQ(CaptionCloseness(ref, ref), 2.0);
  // Case and punctuation do not count (PTB tokens, lower-cased, punctuation dropped).
  EXPECT_DOUBLE_EQ(CaptionCloseness("the eiffel tower in paris at sunset", ref), 2.0);
  EXPECT_EQ(CaptionCloseness("", ref), 0.0);
  EXPECT_EQ(CaptionCloseness(ref, "  "), 0.0);
  // Nothing in common: ROUGE-L 0, BLEU only its smoothing (1/(n+1) per order).
  const double none = CaptionCloseness("a red barn", ref);
  EXPECT_GT(none, 0.0);
  EXPECT_LT(none, 0.3);
  // Hand-computed: candidate "the tower in paris" (4 tokens) against the
  // 7-token reference. LCS 4: P = 1, R = 4/7, ROUGE-L = 2.44 P R / (R + 1.44 P).
  const double p = 1.0, r = 4.0 / 7.0;
  const double rouge = 2.44 * p * r / (r + 1.44 * p);
  // Matches per order: 4/4, 2/3 ("tower in", "in paris"), 1/2, 0/1; brevity 1 - 7/4.
  const double bleu = std::exp(1.0 - 7.0 / 4.0 +
                               (std::log(5.0 / 5.0) + std::log(3.0 / 4.0) + std::log(2.0 / 3.0) + std::log(1.0 / 2.0)) / 4);
  EXPECT_NEAR(CaptionCloseness("the tower in paris", ref), rouge + bleu, 1e-12);
  // Word order matters: the same words shuffled are further away.
  EXPECT_LT(CaptionCloseness("sunset at Paris in tower Eiffel the", ref), CaptionCloseness(ref, ref));
  // Repeated words match at most as often as the reference has them.
  EXPECT_LT(CaptionCloseness("paris paris paris paris", "paris"), CaptionCloseness("paris", "paris"));
}

FusedCaption Beams(std::vector<std::string> texts) {
  FusedCaption c;
  c.text = texts[0];
  c.alternatives.assign(texts.begin() + 1, texts.end());
  return c;
}

TEST(ReferenceChoiceTest, TheClosestBeamComesFirstAndTiesKeepBeamOrder) {
  const std::string ref = "Nike Air Max 90 sneakers in white on a wooden floor.";
  FusedCaption c = Beams({"White sneakers on a floor.", "Nike Air Max 90 sneakers in white on a floor.",
                          "The Nike Air Max 90 in white.", "White sneakers on a floor."});
  EXPECT_TRUE(ApplyReferenceChoice(ref, &c));
  EXPECT_EQ(c.text, "Nike Air Max 90 sneakers in white on a floor.");
  ASSERT_EQ(c.alternatives.size(), 3u);
  for (size_t k = 0; k + 1 < c.alternatives.size(); ++k) {
    EXPECT_GE(CaptionCloseness(k == 0 ? c.text : c.alternatives[k - 1], ref), CaptionCloseness(c.alternatives[k], ref));
  }
  EXPECT_EQ(c.alternatives[1], "White sneakers on a floor.");  // the two equal ones stay together
  EXPECT_EQ(c.alternatives[2], "White sneakers on a floor.");
  // Already in order, no reference, or a single beam: nothing changes.
  FusedCaption same = c;
  EXPECT_FALSE(ApplyReferenceChoice(ref, &same));
  EXPECT_EQ(same.text, c.text);
  EXPECT_EQ(same.alternatives, c.alternatives);
  FusedCaption no_ref = Beams({"b", "a"});
  EXPECT_FALSE(ApplyReferenceChoice("", &no_ref));
  EXPECT_EQ(no_ref.text, "b");
  FusedCaption one = Beams({"only"});
  EXPECT_FALSE(ApplyReferenceChoice("only one", &one));
  EXPECT_EQ(one.text, "only");
}

}  // namespace
}  // namespace capsfusion
