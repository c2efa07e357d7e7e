// Fusion metrics on hand-made triplets, and on the CapsFusion dev set when
// ../shared/data is present.

#include "capsfusion/fusion_metrics.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "eval/fusion_words.h"
#include "test_util.h"

namespace capsfusion {
namespace {

TEST(FusionWordsTest, TokenizerRules) {
  eval::WordTokenizer t;
  const auto& w = t.Tokenize("Todd-Snyder's Fall 2017 &quot;show&quot; costs $1,000.50 \xE2\x80\x93 O\xE2\x80\x99Neil. iPhone");
  std::vector<std::string> texts;
  for (const auto& x : w) texts.emplace_back(x.text);
  EXPECT_EQ(texts, (std::vector<std::string>{"todd", "snyder", "fall", "2017", "show", "costs", "1,000.50",
                                             "o'neil", "iphone"}));
  EXPECT_TRUE(w[0].sentence_start);
  EXPECT_FALSE(w[1].sentence_start);
  EXPECT_TRUE(w[1].capitalised);
  EXPECT_FALSE(w[5].capitalised);
  EXPECT_TRUE(w[6].has_digit);
  EXPECT_TRUE(w[8].sentence_start);  // after "."
  EXPECT_TRUE(w[8].capitalised);     // camel case
  t.Tokenize("A man riding a horse in Paris");
  EXPECT_FALSE(t.title_case());
  t.Tokenize("Alfa Romeo Brera High Definition Wallpapers");
  EXPECT_TRUE(t.title_case());
  // Emoji and other symbols separate words; invalid bytes are word bytes.
  EXPECT_EQ(t.Tokenize("a\xF0\x9F\xA7\xA5" "b \xFF\xFE c").size(), 4u);
  EXPECT_EQ(t.Tokenize("\xE2\x80").size(), 1u);  // truncated sequence
}

TEST(FusionWordsTest, ProperWords) {
  eval::WordTokenizer t;
  auto proper = [&](const std::string& text) {
    std::vector<std::string> out;
    const auto& words = t.Tokenize(text);
    for (const auto& w : words) {
      if (eval::IsProperWord(w, t.title_case())) out.emplace_back(w.text);
    }
    return out;
  };
  // A common word capitalised at a sentence start is not a name; a rare one is.
  EXPECT_EQ(proper("Beautiful sunset over Paris"), (std::vector<std::string>{"paris"}));
  EXPECT_EQ(proper("Paris at night"), (std::vector<std::string>{"paris"}));
  // Capitalised inside a sentence counts even when common.
  EXPECT_EQ(proper("a photo of the White House in 2019"), (std::vector<std::string>{"white", "house"}));
  // In a title-cased caption only words outside the common list count.
  EXPECT_EQ(proper("Alfa Romeo Brera High Resolution Wallpaper"),
            (std::vector<std::string>{"alfa", "romeo", "brera", "resolution"}));
}

TEST(FusionMetricsTest, HandMadeTriplet) {
  const FusionItemMetrics m = MeasureFusion(
      "Todd Snyder Fall 2017 mens fashion show backstage",
      "Men standing in line at an event with people watching.",
      "At the Todd Snyder Fall 2017 men's fashion show backstage, there were men standing in line while being "
      "observed by a crowd of people.");
  // Raw: todd snyder fall 2017 mens fashion show backstage; only "mens" is lost.
  EXPECT_EQ(m.raw_retention.hits, 7u);
  EXPECT_EQ(m.raw_retention.total, 8u);
  // Proper: Todd (rare, at the start), Snyder, Fall (capitalised mid-caption).
  EXPECT_EQ(m.proper_retention.hits, 3u);
  EXPECT_EQ(m.proper_retention.total, 3u);
  EXPECT_EQ(m.number_retention.hits, 1u);
  EXPECT_EQ(m.number_retention.total, 1u);
  // Synthetic: men standing line event people watching; event and watching lost.
  EXPECT_EQ(m.synthetic_retention.hits, 4u);
  EXPECT_EQ(m.synthetic_retention.total, 6u);
  // Fused content words: 13 distinct, "observed" and "crowd" in neither source.
  EXPECT_EQ(m.novel.hits, 2u);
  EXPECT_EQ(m.novel.total, 13u);
  EXPECT_EQ(m.fused_words, 24u);
  EXPECT_FALSE(m.empty);
  EXPECT_FALSE(m.prompt_leak);
  EXPECT_FALSE(m.concatenation);
  EXPECT_DOUBLE_EQ(m.raw_retention.value(), 7.0 / 8.0);
}

TEST(FusionMetricsTest, PromptLeak) {
  EXPECT_TRUE(IsPromptLeak("The book provides detailed real-world knowledge about oil trading."));
  EXPECT_TRUE(IsPromptLeak("Sentence 1: Actor Dev Patel attends the gala."));
  EXPECT_TRUE(IsPromptLeak("A WELL-STRUCTURED cabinet"));
  EXPECT_TRUE(IsPromptLeak("the cover exhibits nice sentence structure"));
  EXPECT_TRUE(IsPromptLeak("It is not in Delhi as mentioned in sentence 2."));
  EXPECT_TRUE(IsPromptLeak("Here is a refined and merged sentence: a dog"));
  EXPECT_FALSE(IsPromptLeak("A dog on a beach."));
  EXPECT_FALSE(IsPromptLeak("Chapter 3, sentence 10 of the essay"));
  EXPECT_FALSE(IsPromptLeak("The manual provides detailed information about the wiring."));
  EXPECT_FALSE(IsPromptLeak(""));
  // Not a leak when a source already has the phrase.
  EXPECT_FALSE(MeasureFusion("Poster: sentence structure rules", "a poster", "A poster about sentence structure rules")
                   .prompt_leak);
  EXPECT_TRUE(MeasureFusion("Poster", "a poster", "A poster that provides detailed real-world knowledge")
                  .prompt_leak);
}

TEST(FusionMetricsTest, Concatenation) {
  const std::string raw = "Acrylic Lectern, Weighs 42 lbs";
  const std::string syn = "a clear podium with a white top";
  EXPECT_TRUE(IsConcatenation(raw, syn, raw + " " + syn));
  EXPECT_TRUE(IsConcatenation(raw, syn, syn + ". " + raw));
  EXPECT_TRUE(IsConcatenation(raw, syn, "ACRYLIC LECTERN - weighs 42 lbs: a clear podium with a white top!"));
  // A glue word added still counts (12 of 13 fused words from the sources).
  EXPECT_TRUE(IsConcatenation(raw, syn, "Acrylic Lectern Weighs 42 lbs is a clear podium with a white top"));
  // One of 7 synthetic words lost is under 90%; one of 10 raw words is not.
  EXPECT_FALSE(IsConcatenation(raw, syn, "Acrylic Lectern Weighs 42 lbs a clear podium with white top"));
  EXPECT_TRUE(IsConcatenation("one two three four five six seven eight nine ten", syn,
                              "one two three four five six seven nine ten a clear podium with a white top"));
  EXPECT_FALSE(IsConcatenation(raw, syn, raw));
  EXPECT_FALSE(IsConcatenation(raw, syn, syn));
  EXPECT_FALSE(IsConcatenation(raw, syn, "The acrylic lectern, which weighs 42 lbs, is a clear podium with a white top."));
  // Interleaved, not one after the other.
  EXPECT_FALSE(IsConcatenation("red car parked outside", "small dog sleeping inside", "red small car dog parked sleeping outside inside"));
  EXPECT_FALSE(IsConcatenation(raw, "", raw));
  EXPECT_FALSE(IsConcatenation("", "", ""));
  EXPECT_TRUE(MeasureFusion(raw, syn, raw + " " + syn).concatenation);
}

TEST(FusionMetricsTest, EmptyAndUndefinedShares) {
  const FusionItemMetrics m = MeasureFusion("", "  ", " \t");
  EXPECT_TRUE(m.empty);
  EXPECT_EQ(m.fused_words, 0u);
  EXPECT_FALSE(m.raw_retention.defined());
  EXPECT_EQ(m.raw_retention.value(), 0.0);
  EXPECT_FALSE(m.concatenation);
}

TEST(FusionMetricsTest, RandomBytesDoNotCrash) {
  uint64_t state = 99;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(state >> 33);
  };
  auto random_text = [&] {
    std::string t;
    const uint32_t n = next() % 40;
    for (uint32_t i = 0; i < n; ++i) t.push_back(static_cast<char>(next() % 4 == 0 ? 'a' + next() % 3 : next() % 256));
    return t;
  };
  FusionCorpusMetrics agg;
  for (int i = 0; i < 2000; ++i) {
    const std::string r = random_text(), s = random_text(), f = random_text();
    const FusionItemMetrics m = MeasureFusion(r, s, f);
    EXPECT_LE(m.raw_retention.hits, m.raw_retention.total);
    EXPECT_LE(m.novel.hits, m.novel.total);
    agg.Add(m);
    IsPromptLeak(f);
    IsConcatenation(r, s, r + s);
  }
  EXPECT_EQ(agg.Summary().items, 2000u);
}

TEST(FusionMetricsTest, CorpusAggregation) {
  FusionCorpusMetrics agg;
  FusionItemMetrics a;  // raw 1/2, 0 words, empty
  a.raw_retention = {1, 2};
  a.empty = true;
  FusionItemMetrics b;  // raw 1/1, leak, 5 words
  b.raw_retention = {1, 1};
  b.prompt_leak = true;
  b.fused_words = 5;
  FusionItemMetrics c;  // no raw words, concatenation, 10 words
  c.concatenation = true;
  c.fused_words = 10;
  FusionItemMetrics d;  // 20000 words (past the histogram)
  d.fused_words = 20000;
  agg.Add(a);
  agg.Add(b);
  agg.Add(c);
  agg.Add(d);
  const FusionCorpusSummary s = agg.Summary();
  EXPECT_EQ(s.items, 4u);
  EXPECT_EQ(s.raw_retention_items, 2u);
  EXPECT_DOUBLE_EQ(s.raw_retention, 0.75);
  EXPECT_EQ(s.proper_retention_items, 0u);
  EXPECT_EQ(s.prompt_leaks, 1u);
  EXPECT_DOUBLE_EQ(s.prompt_leak_rate, 0.25);
  EXPECT_DOUBLE_EQ(s.concatenation_rate, 0.25);
  EXPECT_EQ(s.empty, 1u);
  EXPECT_DOUBLE_EQ(s.words_mean, (0 + 5 + 10 + 20000) / 4.0);
  EXPECT_EQ(s.words_p50, 5u);      // rank ceil(0.5 * 4) = 2 of 0 5 10 20000
  EXPECT_EQ(s.words_p90, 20000u);  // rank ceil(0.9 * 4) = 4
  FusionCorpusMetrics other;
  other.Merge(agg);
  other.Merge(agg);
  EXPECT_EQ(other.Summary().items, 8u);
  EXPECT_EQ(other.Summary().words_p90, 20000u);
  EXPECT_DOUBLE_EQ(other.Summary().raw_retention, 0.75);
  EXPECT_EQ(FusionCorpusMetrics().Summary().words_p50, 0u);
}

TEST(FusionMetricsTest, DevSetLeakAndConcatenationRates) {
  const std::string rel = "capsfusion/dev.json";
  const std::string path = testing::SharedData(rel);
  if (path.empty()) GTEST_SKIP() << testing::SharedMissing(rel);
  std::ifstream in(path);
  const nlohmann::json dev = nlohmann::json::parse(in);
  ASSERT_GT(dev.size(), 0u);
  FusionCorpusMetrics official, concat;
  for (const auto& row : dev) {
    const std::string raw = row.at("laion_2b"), syn = row.at("laion_coco"), fused = row.at("capsfuion_official");
    const FusionItemMetrics m = MeasureFusion(raw, syn, fused);
    // Deterministic: the same triplet measures the same.
    const FusionItemMetrics again = MeasureFusion(raw, syn, fused);
    ASSERT_EQ(m.raw_retention.hits, again.raw_retention.hits);
    ASSERT_EQ(m.novel.hits, again.novel.hits);
    ASSERT_EQ(m.prompt_leak, IsPromptLeak(fused));  // no source holds a phrase here
    ASSERT_EQ(m.concatenation, IsConcatenation(raw, syn, fused));
    official.Add(m);
    concat.Add(MeasureFusion(raw, syn, raw + " " + syn));
  }
  const FusionCorpusSummary o = official.Summary(), c = concat.Summary();
  std::printf("dev official: items %zu leak %.4f (%zu) concat %.4f (%zu) raw %.4f proper %.4f (%zu items) "
              "numbers %.4f (%zu items) synthetic %.4f novel %.4f words mean %.2f p50 %u p90 %u empty %zu\n",
              o.items, o.prompt_leak_rate, o.prompt_leaks, o.concatenation_rate, o.concatenations,
              o.raw_retention, o.proper_retention, o.proper_retention_items, o.number_retention,
              o.number_retention_items, o.synthetic_retention, o.novel_rate, o.words_mean, o.words_p50,
              o.words_p90, o.empty);
  std::printf("dev raw+' '+synthetic: leak %.4f concat %.4f raw %.4f synthetic %.4f novel %.4f words mean %.2f\n",
              c.prompt_leak_rate, c.concatenation_rate, c.raw_retention, c.synthetic_retention, c.novel_rate,
              c.words_mean);
  // The release's fused captions echo the instruction in about 3% of rows.
  EXPECT_GE(o.prompt_leak_rate, 0.02);
  EXPECT_LE(o.prompt_leak_rate, 0.06);
  EXPECT_LE(o.concatenation_rate, 0.05);
  // Plain concatenation is caught every time and leaks nothing.
  EXPECT_GE(c.concatenation_rate, 0.99);
  EXPECT_EQ(c.prompt_leaks, 0u);
  EXPECT_DOUBLE_EQ(c.raw_retention, 1.0);
  EXPECT_DOUBLE_EQ(c.novel_rate, 0.0);
}

}  // namespace
}  // namespace capsfusion
