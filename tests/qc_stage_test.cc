// The QC step of the fuse pipeline with a stand-in checker: a caption that
// fails is replaced by its first alternative (next best beam) that passes,
// before any retry; the counts say what happened.
#include "fuse/qc_stage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace capsfusion {
namespace {

//! Fails captions containing "bad" (dropped_name) or "loop" (repetition).
QcResult StandIn(std::string_view, std::string_view, std::string_view fused) {
  QcResult r;
  if (fused.find("bad") != std::string_view::npos) r.reasons.push_back(QcReason::kDroppedName);
  if (fused.find("loop") != std::string_view::npos) r.reasons.push_back(QcReason::kRepetition);
  return r;
}

QcSettings Settings() {
  QcSettings s;
  s.policy = QcPolicy::Default();  // repetition: retry; dropped_name: keep
  s.checker = StandIn;
  return s;
}

QcItem Item(const std::string& text, std::vector<std::string> alternatives) {
  QcItem it;
  it.raw = "raw";
  it.synthetic = "synthetic";
  it.fused.text = text;
  it.fused.alternatives = std::move(alternatives);
  return it;
}

TEST(QcStageTest, AFailingCaptionTakesTheFirstAlternativeThatPasses) {
  std::vector<QcItem> items = {Item("good one", {"bad alt"}), Item("bad top", {"bad second", "good third", "good fourth"}),
                               Item("bad top", {"loop alt", "bad alt"})};
  QcCounts counts;
  ASSERT_TRUE(RunQc(Settings(), &items, nullptr, &counts).ok());
  EXPECT_EQ(items[0].text, "good one");  // passed: its alternatives are never used
  EXPECT_EQ(items[0].alternative, 0);
  EXPECT_EQ(items[1].text, "good third");
  EXPECT_EQ(items[1].alternative, 2);
  EXPECT_TRUE(items[1].result.passed());
  EXPECT_EQ(items[2].text, "bad top");  // none passes: the best caption stays, flagged
  EXPECT_EQ(items[2].alternative, 0);
  EXPECT_TRUE(items[2].result.Has(QcReason::kDroppedName));
  EXPECT_EQ(counts.checked, 3u);
  EXPECT_EQ(counts.alternative, 1u);
  EXPECT_EQ(counts.flagged, 1u);
  EXPECT_EQ(counts.kept, 1u);
  EXPECT_EQ(counts.ToJson()["actions"]["alternative"], 1u);
  EXPECT_EQ(QcCounts::FromJson(counts.ToJson()).alternative, 1u);
}

TEST(QcStageTest, AlternativesComeBeforeRetriesAndRetriesHaveTheirOwn) {
  // "loop" is retried by the default policy; the first row is fixed by its
  // alternative without a retry, the second by the retry's alternative.
  std::vector<QcItem> items = {Item("loop top", {"good alt"}), Item("loop top", {"loop alt"})};
  int refused = 0;
  QcRefuse refuse = [&](const std::vector<size_t>& which, std::vector<FusedCaption>* redo) {
    ++refused;
    EXPECT_EQ(which, std::vector<size_t>{1});
    FusedCaption f;
    f.text = "loop again";
    f.alternatives = {"good retry alt"};
    redo->push_back(f);
    return Status::OK();
  };
  QcCounts counts;
  ASSERT_TRUE(RunQc(Settings(), &items, refuse, &counts).ok());
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(items[0].text, "good alt");
  EXPECT_EQ(items[0].retries, 0);
  EXPECT_EQ(items[1].text, "good retry alt");
  EXPECT_EQ(items[1].retries, 1);
  EXPECT_EQ(counts.alternative, 2u);
  EXPECT_EQ(counts.retried, 1u);
  EXPECT_EQ(counts.retry_fixed, 1u);
  EXPECT_EQ(counts.flagged, 0u);
}

}  // namespace
}  // namespace capsfusion
