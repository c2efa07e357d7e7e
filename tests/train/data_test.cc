// Training data: leak filter, copy augmentation, epoch plans, hold-out, schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "test_util.h"
#include "toy_data.h"
#include "train/augment.h"
#include "train/batcher.h"
#include "train/leak_filter.h"
#include "train/schedule.h"
#include "train/triplet.h"

namespace capsfusion::train {
namespace {

TEST(LeakFilterTest, FindsInstructionEchoesButNotSourcesThatSayTheSame) {
  EXPECT_TRUE(IsPromptLeak("The book cover provides detailed real-world knowledge and exhibits nice sentence structure.",
                           "book cover", "a book"));
  EXPECT_TRUE(IsPromptLeak("As stated in Sentence 1, a dog runs.", "dog", "a dog"));
  EXPECT_FALSE(IsPromptLeak("A brown dog runs on the beach.", "dog", "a dog"));
  // The raw caption itself talks about sentence structure: no leak.
  EXPECT_FALSE(IsPromptLeak("A worksheet on sentence structure for grade 3.", "Sentence Structure worksheet grade 3",
                            "a worksheet"));
}

TEST(LeakFilterTest, RepairDropsOnlyLeakingSentences) {
  EXPECT_EQ(RepairPromptLeak("A red lamp on a desk. It provides detailed real-world knowledge.", "lamp", "a lamp"),
            "A red lamp on a desk.");
  EXPECT_EQ(RepairPromptLeak("The cover is well-structured and informative.", "cover", "a cover"), "");
  EXPECT_EQ(RepairPromptLeak("No leak here. None at all!", "x", "y"), "No leak here. None at all!");
}

TEST(AugmentTest, ReplacesNamesAndNumbersConsistently) {
  std::vector<Triplet> pool = {{"Zorvex Marbeck lamp 42", "a lamp", "The Zorvex Marbeck lamp 42.", ""},
                               {"Quillan Torwick chair", "a chair", "The Quillan Torwick chair.", ""},
                               {"Belora Fenix mug", "a mug", "The Belora Fenix mug.", ""}};
  CopyAugmenter aug(pool);
  EXPECT_GE(aug.pool_size(), 6u);
  Triplet t{"Zorvex Marbeck lamp 42 by Zorvex", "a lamp", "The Zorvex Marbeck lamp (42) from Zorvex.", "x"};
  Triplet a = aug.Augment(t, 123);
  EXPECT_EQ(a.origin, "x");
  EXPECT_EQ(a.synthetic, "a lamp");
  std::vector<std::string> w = CopyableWords(a.raw);
  ASSERT_EQ(w.size(), 3u);  // two names and the number; the repeat maps to the same word
  EXPECT_NE(w[0], "Zorvex");
  EXPECT_EQ(a.raw, w[0] + " " + w[1] + " lamp " + w[2] + " by " + w[0]);
  EXPECT_EQ(a.target, "The " + w[0] + " " + w[1] + " lamp (" + w[2] + ") from " + w[0] + ".");
  EXPECT_EQ(w[2].size(), 2u);
  EXPECT_EQ(aug.Augment(t, 123).raw, a.raw);  // deterministic
  EXPECT_NE(aug.Augment(t, 124).raw, a.raw);
  // Nothing to replace: unchanged.
  Triplet plain{"a lamp on a desk", "a lamp", "A lamp.", ""};
  EXPECT_EQ(aug.Augment(plain, 1).raw, plain.raw);
}

TEST(AugmentTest, CopyableWordsSkipFunctionWords) {
  EXPECT_EQ(CopyableWords("The Nike Air 90 and The Nike"), (std::vector<std::string>{"Nike", "Air", "90"}));
}

TEST(BatcherTest, PlansAreDeterministicCompleteAndGroupedByLength) {
  std::vector<uint32_t> lengths;
  for (uint32_t i = 0; i < 1000; ++i) lengths.push_back(10 + (i * 37) % 90);
  auto a = PlanEpoch(lengths, 32, 5, 0, 8);
  auto b = PlanEpoch(lengths, 32, 5, 0, 8);
  auto c = PlanEpoch(lengths, 32, 5, 1, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::multiset<uint32_t> seen;
  size_t spread = 0;
  for (const auto& batch : a) {
    EXPECT_LE(batch.size(), 32u);
    uint32_t lo = 1000, hi = 0;
    for (uint32_t i : batch) {
      seen.insert(i);
      lo = std::min(lo, lengths[i]);
      hi = std::max(hi, lengths[i]);
    }
    spread += hi - lo;
  }
  EXPECT_EQ(seen.size(), lengths.size());
  EXPECT_EQ(std::set<uint32_t>(seen.begin(), seen.end()).size(), lengths.size());
  EXPECT_LT(spread / a.size(), 20u);  // random batches would span ~80
}

TEST(ScheduleTest, WarmupThenCosineToTheFloor) {
  OptimOptions o;
  o.lr = 1.0;
  o.warmup_steps = 10;
  o.min_lr_ratio = 0.1;
  EXPECT_DOUBLE_EQ(LearningRate(o, 0, 100), 0.1);
  EXPECT_DOUBLE_EQ(LearningRate(o, 9, 100), 1.0);
  EXPECT_DOUBLE_EQ(LearningRate(o, 10, 100), 1.0);
  EXPECT_NEAR(LearningRate(o, 99, 100), 0.1, 1e-12);
  EXPECT_GT(LearningRate(o, 40, 100), LearningRate(o, 60, 100));
}

TEST(TripletTest, LoadsWithLeakModesAndHoldsOutDeterministically) {
  capsfusion::testing::TempDir dir;
  std::string path = dir.File("toy.jsonl");
  testing::WriteToyData(path, 50, 3, /*leak_every=*/5);
  DataOptions d;
  LoadStats st;
  auto keep = LoadTriplets({path}, d, LeakMode::kKeep, 0, &st);
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ(keep->size(), 50u);
  auto drop = LoadTriplets({path}, d, LeakMode::kDrop, 0, &st);
  ASSERT_TRUE(drop.ok());
  EXPECT_EQ(drop->size(), 40u);
  EXPECT_EQ(st.leaks_dropped, 10u);
  auto repair = LoadTriplets({path}, d, LeakMode::kRepair, 0, &st);
  ASSERT_TRUE(repair.ok());
  EXPECT_EQ(repair->size(), 50u);
  EXPECT_EQ(st.leaks_repaired, 10u);
  for (const Triplet& t : *repair) EXPECT_FALSE(IsPromptLeak(t.target, t.raw, t.synthetic)) << t.target;
  auto limited = LoadTriplets({path}, d, LeakMode::kKeep, 7, nullptr);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 7u);

  std::vector<Triplet> rows = *keep, rows2 = *keep;
  auto dev = HoldOut(&rows, 0.2, 9);
  auto dev2 = HoldOut(&rows2, 0.2, 9);
  EXPECT_EQ(dev.size(), 10u);
  EXPECT_EQ(rows.size(), 40u);
  for (size_t i = 0; i < dev.size(); ++i) EXPECT_EQ(dev[i].raw, dev2[i].raw);
}

TEST(TripletTest, BadInputIsAStatus) {
  capsfusion::testing::TempDir dir;
  DataOptions d;
  EXPECT_FALSE(LoadTriplets({dir.File("missing.json")}, d, LeakMode::kKeep, 0, nullptr).ok());
  capsfusion::testing::WriteFile(dir.File("wrong.jsonl"), "{\"a\":1}\nnot json\n");
  auto r = LoadTriplets({dir.File("wrong.jsonl")}, d, LeakMode::kKeep, 0, nullptr);
  EXPECT_FALSE(r.ok());
  d.target_field = "nope";
  testing::WriteToyData(dir.File("toy.jsonl"), 5, 1);
  EXPECT_FALSE(LoadTriplets({dir.File("toy.jsonl")}, d, LeakMode::kKeep, 0, nullptr).ok());
}

}  // namespace
}  // namespace capsfusion::train
