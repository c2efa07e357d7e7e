// The consensus choice among finished beams (fuse --beam-choice consensus):
// each beam's score, and the order it gives the beams with and without a
// length choice.
#include "fuse/consensus_choice.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fuse/reference_choice.h"

namespace capsfusion {
namespace {

FusedCaption Beams(std::vector<std::string> texts) {
  FusedCaption c;
  c.text = texts[0];
  c.alternatives.assign(texts.begin() + 1, texts.end());
  return c;
}

std::vector<std::string> Order(const FusedCaption& c) {
  std::vector<std::string> out{c.text};
  out.insert(out.end(), c.alternatives.begin(), c.alternatives.end());
  return out;
}

TEST(ConsensusChoiceTest, ScoreIsMeanClosenessToTheOtherBeamsPlusWeightedClosenessToTheSources) {
  const std::string raw = "Nike Air Max 90 white", syn = "a pair of white sneakers on a wooden floor";
  const std::vector<std::string> beams = {"White sneakers on a floor.", "Nike Air Max 90 sneakers in white on a floor.",
                                          "The Nike Air Max 90 in white on a wooden floor."};
  const std::vector<std::string_view> views(beams.begin(), beams.end());
  const std::string sources = raw + " " + syn;
  for (double w : {0.0, 1.0, 2.5}) {
    const std::vector<double> s = ConsensusScores(views, raw, syn, w);
    ASSERT_EQ(s.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      double others = 0;
      for (size_t j = 0; j < 3; ++j) {
        if (j != i) others += CaptionCloseness(beams[i], beams[j]);
      }
      EXPECT_NEAR(s[i], others / 2 + w * CaptionCloseness(beams[i], sources), 1e-12) << i << " " << w;
    }
  }
  // A single beam: only its closeness to the sources; no beams: nothing.
  EXPECT_NEAR(ConsensusScores({views[1]}, raw, syn, 1.0)[0], CaptionCloseness(beams[1], sources), 1e-12);
  EXPECT_EQ(ConsensusScores({views[1]}, raw, syn, 0.0)[0], 0.0);
  EXPECT_TRUE(ConsensusScores({}, raw, syn, 1.0).empty());
}

TEST(ConsensusChoiceTest, TheBeamTheOthersAgreeWithComesFirst) {
  ConsensusChoice on;
  on.enabled = true;
  on.source_weight = 0;
  // The model's best is the odd one out; the other three share most words.
  FusedCaption c = Beams({"A red barn in a field.", "The Eiffel Tower in Paris at sunset.",
                          "The Eiffel Tower in Paris at night.", "The Eiffel Tower at sunset."});
  EXPECT_TRUE(ApplyConsensusChoice(on, LengthChoice(), "r", "s", &c));
  EXPECT_EQ(c.text, "The Eiffel Tower in Paris at sunset.");
  EXPECT_EQ(c.alternatives.back(), "A red barn in a field.");
  // The sources can outweigh the beams: with a heavy source weight the beam
  // closest to "raw synthetic" wins.
  on.source_weight = 10;
  FusedCaption d = Beams({"The Eiffel Tower in Paris at sunset.", "The Eiffel Tower in Paris at night.",
                          "The Eiffel Tower at sunset.", "A red barn in a field."});
  EXPECT_TRUE(ApplyConsensusChoice(on, LengthChoice(), "red barn", "a barn in a field", &d));
  EXPECT_EQ(d.text, "A red barn in a field.");
  // Off, a single beam, or equal beams: nothing moves.
  FusedCaption e = Beams({"b", "a a", "a a"});
  EXPECT_FALSE(ApplyConsensusChoice(ConsensusChoice(), LengthChoice(), "a", "a", &e));
  EXPECT_EQ(Order(e), (std::vector<std::string>{"b", "a a", "a a"}));
  FusedCaption one = Beams({"only"});
  EXPECT_FALSE(ApplyConsensusChoice(on, LengthChoice(), "only", "one", &one));
  FusedCaption same = Beams({"x y", "x y", "x y"});
  EXPECT_FALSE(ApplyConsensusChoice(on, LengthChoice(), "x", "y", &same));
}

TEST(ConsensusChoiceTest, WithALengthChoiceBeamsWithEnoughWordsComeFirst) {
  ConsensusChoice on;
  on.enabled = true;
  on.source_weight = 0;
  LengthChoice length;
  length.expected = ExpectedLength{6, 0, 0};  // 6 words expected whatever the sources
  length.min_ratio = 1.0;
  // The consensus favours the short ones; only the last two have 6 words.
  const std::vector<std::string> beams = {"the tower at sunset", "the tower at night", "the tower",
                                          "a red barn in a field", "the tower in paris at sunset"};
  FusedCaption c = Beams(beams);
  EXPECT_TRUE(ApplyConsensusChoice(on, length, "r", "s", &c));
  EXPECT_EQ(Order(c), (std::vector<std::string>{"the tower in paris at sunset", "a red barn in a field",
                                                 "the tower at sunset", "the tower at night", "the tower"}));
  // None has enough words: the longest first (the first of the longest), then by consensus.
  length.min_ratio = 2.0;
  FusedCaption d = Beams(beams);
  EXPECT_TRUE(ApplyConsensusChoice(on, length, "r", "s", &d));
  EXPECT_EQ(d.text, "a red barn in a field");
  const std::vector<std::string_view> all(beams.begin(), beams.end());
  const std::vector<double> score = ConsensusScores(all, "r", "s", 0);
  auto score_of = [&](const std::string& t) {
    for (size_t k = 0; k < beams.size(); ++k) {
      if (beams[k] == t) return score[k];
    }
    return -1.0;
  };
  for (size_t k = 0; k + 1 < d.alternatives.size(); ++k) {
    EXPECT_GE(score_of(d.alternatives[k]), score_of(d.alternatives[k + 1])) << k;
  }
}

TEST(ConsensusChoiceTest, BeamChoiceNames) {
  ConsensusChoice c;
  ASSERT_TRUE(ParseBeamChoice("consensus", &c).ok());
  EXPECT_TRUE(c.enabled);
  ASSERT_TRUE(ParseBeamChoice("model", &c).ok());
  EXPECT_FALSE(c.enabled);
  Status s = ParseBeamChoice("mbr", &c);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("'mbr'"), std::string::npos);
}

}  // namespace
}  // namespace capsfusion
