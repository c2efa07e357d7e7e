// Tests of the caption statistics (capsfusion stats): word splitting,
// histograms, the trigram counter, and hand-made rows with known counts.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "capsfusion/reader.h"
#include "capsfusion/tokenizer.h"
#include "report/caption_words.h"
#include "report/histograms.h"
#include "report/html_escape.h"
#include "report/trigram_counter.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using report::CaptionWordSplitter;

// A record as the reader would give it (captions normalised, fields as JSON).
Record MakeRecord(const std::vector<std::pair<std::string, std::string>>& fields) {
  Record r;
  for (const auto& [name, json] : fields) r.fields.push_back(Field{name, json});
  auto str = [&](const std::string& name) -> std::string {
    const Field* f = r.Find(name);
    if (f == nullptr || f->json.empty() || f->json[0] != '"') return "";
    return nlohmann::json::parse(f->json).get<std::string>();
  };
  r.raw = str("laion_2b");
  r.synthetic = str("laion_coco");
  r.references = {str("capsfusion")};
  return r;
}

std::string Q(const std::string& s) { return JsonString(s); }

const SourceSummary& Source(const StatsReport& r, const std::string& role) {
  for (const auto& s : r.sources) {
    if (s.role == role) return s;
  }
  static SourceSummary none;
  ADD_FAILURE() << "no source " << role;
  return none;
}

TEST(CaptionWordsTest, SpansLowercaseAndPossessives) {
  CaptionWordSplitter split;
  const std::string text = "Men's 1,000.50 O'Neil real-world &quot;Paris&quot; caf\xC3\xA9!";
  const auto& w = split.Split(text);
  std::vector<std::string> words;
  for (const auto& x : w) words.emplace_back(x.text);
  EXPECT_EQ(words, (std::vector<std::string>{"men", "1,000.50", "o'neil", "real", "world", "paris", "caf\xC3\xA9"}));
  // Spans cover the original bytes (possessive included).
  EXPECT_EQ(text.substr(w[0].begin, w[0].end - w[0].begin), "Men's");
  EXPECT_EQ(text.substr(w[5].begin, w[5].end - w[5].begin), "Paris");
  EXPECT_TRUE(w[0].capitalised);
  EXPECT_TRUE(w[0].sentence_start);
  EXPECT_FALSE(w[3].sentence_start);
  EXPECT_TRUE(w[1].has_digit);
}

TEST(CaptionWordsTest, ProperWordsFollowTheFusionMetricRules) {
  CaptionWordSplitter split;
  const auto& w = split.Split("Beautiful sunset over Paris");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_FALSE(report::IsProperWord(w[0], split.title_case()));  // common word at a sentence start
  EXPECT_TRUE(report::IsProperWord(w[3], split.title_case()));
  EXPECT_TRUE(report::IsStopword("the"));
  EXPECT_FALSE(report::IsStopword("tower"));
}

TEST(CaptionWordsTest, AnyBytesAreSafe) {
  CaptionWordSplitter split;
  std::string junk;
  for (int i = 0; i < 256; ++i) junk.push_back(static_cast<char>(i));
  junk += "\xF0\x9F\x98\x80 \xE2\x80 end";
  const auto& w = split.Split(junk);
  for (const auto& x : w) {
    EXPECT_LE(x.begin, x.end);
    EXPECT_LE(x.end, junk.size());
  }
  EXPECT_EQ(w.back().text, "end");
}

TEST(ApproximateTokenCountTest, EqualsTheEncodedLength) {
  auto tok = MakeApproximateTokenizer();
  uint64_t x = 88172645463325252ULL;
  const std::string alphabet = "ab Z9.,-\xC3\xA9 xyzQ";
  for (int n = 0; n < 300; ++n) {
    std::string s;
    for (int i = 0; i < n % 40; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s.push_back(alphabet[x % alphabet.size()]);
    }
    EXPECT_EQ(tok->CountTokens(s, false), tok->Encode(s, false).size()) << s;
    EXPECT_EQ(tok->CountTokens(s, true), tok->Encode(s, true).size()) << s;
  }
}

TEST(HistogramTest, CountPercentilesAreNearestRank) {
  report::CountHistogram h;
  for (uint64_t v : {1, 2, 2, 3, 10, 5000}) h.Add(v);
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 5000u);
  EXPECT_EQ(h.Percentile(50), 2u);
  EXPECT_EQ(h.Percentile(90), 5000u);
  EXPECT_DOUBLE_EQ(h.mean(), 5018.0 / 6);
  uint64_t total = 0;
  for (const auto& b : report::LengthBins(h, 40)) total += b.count;
  EXPECT_EQ(total, 6u);  // the tail is in the last bar
}

TEST(HistogramTest, RangeHistogramWidensAndKeepsEveryValue) {
  report::RangeHistogram h;
  for (double v : {0.1, 0.5, 0.99, 3.5, -2.0, 12.0}) h.Add(v);
  h.Add(std::nan(""));
  EXPECT_EQ(h.count(), 6u);
  EXPECT_EQ(h.invalid(), 1u);
  EXPECT_DOUBLE_EQ(h.min(), -2.0);
  EXPECT_DOUBLE_EQ(h.max(), 12.0);
  uint64_t total = 0;
  for (const auto& b : h.Bins()) {
    total += b.count;
    EXPECT_LT(b.lo, b.hi);
  }
  EXPECT_EQ(total, 6u);
}

TEST(TrigramCounterTest, ExactUnderCapacityThenBoundedError) {
  report::TrigramCounter exact(64);
  for (int i = 0; i < 10; ++i) exact.Add({1, 2, 3});
  for (int i = 0; i < 4; ++i) exact.Add({4, 5, 6});
  auto top = exact.Top(5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].count, 10u);
  EXPECT_EQ(top[1].count, 4u);
  EXPECT_EQ(exact.error_bound(), 0u);

  report::TrigramCounter small(16);
  for (uint32_t i = 0; i < 5000; ++i) {
    small.Add({i, i + 1, i + 2});  // each once
    if (i % 5 == 0) small.Add({7, 7, 7});  // a heavy hitter: 1000 times
  }
  top = small.Top(1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].words, (report::TrigramCounter::Trigram{7, 7, 7}));
  EXPECT_GT(small.error_bound(), 0u);
  EXPECT_LE(top[0].count, 1000u);
  EXPECT_GE(top[0].count + small.error_bound(), 1000u);
}

StatsReport CollectRows(const std::vector<Record>& rows, StatsOptions options = {}) {
  StatsCollector c(options);
  for (const auto& r : rows) c.Add(r);
  return c.Report();
}

TEST(StatsCollectorTest, HandMadeRowsHaveKnownCounts) {
  std::vector<Record> rows = {
      MakeRecord({{"laion_2b", Q("Eiffel Tower Paris 2019")},
                  {"laion_coco", Q("a tall tower at night")},
                  {"capsfusion", Q("the Eiffel Tower in Paris at night in 2019")},
                  {"qc_reasons", R"(["too_long", "prompt_leak"])"},
                  {"score", "0.5"}}),
      MakeRecord({{"laion_2b", Q("the cat the cat the cat")},
                  {"laion_coco", Q("a cat")},
                  {"capsfusion", Q("a cat")},
                  {"qc_reasons", "[]"},
                  {"score", "1.5"},
                  {"eval", R"({"cider": 2.0, "name": "x"})"}}),
      MakeRecord({{"laion_2b", Q("")}, {"laion_coco", Q("a dog")}, {"qc_reasons", Q("prompt_leak")}, {"score", "\"n/a\""}}),
  };
  const StatsReport r = CollectRows(rows);
  EXPECT_EQ(r.rows, 3u);
  ASSERT_EQ(r.sources.size(), 3u);

  const SourceSummary& raw = Source(r, "raw");
  EXPECT_EQ(raw.rows, 3u);
  EXPECT_EQ(raw.empty, 1u);
  EXPECT_EQ(raw.word_count, 4u + 6u);
  EXPECT_EQ(raw.vocabulary, 4u + 2u);  // eiffel tower paris 2019 + the cat
  EXPECT_DOUBLE_EQ(raw.type_token_ratio, 6.0 / 10);
  EXPECT_EQ(raw.number_words, 1u);  // 2019
  EXPECT_EQ(raw.rows_with_number, 1u);
  EXPECT_EQ(raw.words.max, 6u);
  EXPECT_EQ(raw.words.min, 0u);
  // "the cat the cat the cat": trigrams the-cat-the, cat-the-cat, the-cat-the, cat-the-cat; two repeat.
  EXPECT_EQ(raw.trigrams, 2u + 4u);
  EXPECT_EQ(raw.repeated_trigrams, 2u);
  EXPECT_EQ(raw.rows_with_repeat, 1u);
  ASSERT_FALSE(raw.top_words.empty());
  EXPECT_EQ(raw.top_words[0].text, "cat");  // stopwords are left out
  EXPECT_EQ(raw.top_words[0].count, 3u);
  EXPECT_GE(raw.proper_words, 2u);  // eiffel, paris (tower may be common)

  const SourceSummary& syn = Source(r, "synthetic");
  EXPECT_EQ(syn.rows, 3u);
  EXPECT_EQ(syn.word_count, 5u + 2u + 2u);
  EXPECT_EQ(syn.trigrams, 3u);
  EXPECT_EQ(syn.repeated_trigrams, 0u);

  const SourceSummary& fused = Source(r, "fused");
  EXPECT_EQ(fused.rows, 2u);  // the third row has no fused caption
  EXPECT_EQ(fused.word_count, 9u + 2u);
  EXPECT_EQ(fused.tokens.count, 2u);
  EXPECT_GT(fused.tokens.mean, fused.words.mean);  // every word is at least one piece

  // Overlap: every raw word but "the"... all of eiffel tower paris 2019 cat occur in fused; "the" too.
  bool found = false;
  for (const auto& o : r.overlaps) {
    if (o.from == "raw" && o.to == "fused") {
      found = true;
      EXPECT_EQ(o.from_vocabulary, 6u);
      EXPECT_EQ(o.shared, 6u);
      EXPECT_DOUBLE_EQ(o.vocabulary_share, 1.0);
    }
    if (o.from == "synthetic" && o.to == "raw") {
      // synthetic words: a tall tower at night cat dog; raw has tower and cat.
      EXPECT_EQ(o.from_vocabulary, 7u);
      EXPECT_EQ(o.shared, 2u);
    }
  }
  EXPECT_TRUE(found);

  // Origin of fused content words, row by row: row 1 content words are
  // eiffel tower paris night 2019 (stopwords the/in/at skipped).
  EXPECT_EQ(r.origin.rows, 2u);
  EXPECT_EQ(r.origin.from_both, 1u + 1u);  // tower (row 1), cat (row 2)
  EXPECT_EQ(r.origin.from_raw, 3u);        // eiffel paris 2019
  EXPECT_EQ(r.origin.from_synthetic, 1u);  // night
  EXPECT_EQ(r.origin.from_neither, 0u);

  EXPECT_TRUE(r.retention.measured);
  EXPECT_EQ(r.retention.rows, 2u);
  EXPECT_DOUBLE_EQ(r.retention.raw, 1.0);

  EXPECT_EQ(r.qc.rows_with_field, 3u);
  EXPECT_EQ(r.qc.passed, 1u);
  EXPECT_EQ(r.qc.flagged, 2u);
  ASSERT_EQ(r.qc.reasons.size(), 2u);
  EXPECT_EQ(r.qc.reasons[0].text, "prompt_leak");
  EXPECT_EQ(r.qc.reasons[0].count, 2u);
  EXPECT_EQ(r.qc.reasons[1].text, "too_long");

  ASSERT_EQ(r.metrics.size(), 2u);
  EXPECT_EQ(r.metrics[0].name, "score");
  EXPECT_EQ(r.metrics[0].count, 2u);
  EXPECT_EQ(r.metrics[0].invalid, 0u);  // a string is not a numeric field: not looked at
  EXPECT_DOUBLE_EQ(r.metrics[0].mean, 1.0);
  EXPECT_EQ(r.metrics[1].name, "eval.cider");
  EXPECT_DOUBLE_EQ(r.metrics[1].max, 2.0);
}

TEST(StatsCollectorTest, ThreadsDoNotChangeTheReport) {
  std::vector<Record> rows;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  auto rnd = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const char* words[] = {"Paris", "tower", "a", "the", "red", "car", "2019", "Nike", "shoe", "of", "in", "dog"};
  auto caption = [&](int n) {
    std::string c;
    for (int i = 0; i < n; ++i) c += std::string(i ? " " : "") + words[rnd() % 12] + (rnd() % 5 ? "" : std::to_string(rnd() % 50));
    return c;
  };
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::pair<std::string, std::string>> f = {{"laion_2b", Q(caption(3 + i % 9))},
                                                          {"laion_coco", Q(caption(5))},
                                                          {"capsfusion", Q(caption(12))}};
    if (i % 7 == 0) f.pop_back();
    if (i % 3 == 0) f.push_back({"qc_reasons", R"(["short"])"});
    rows.push_back(MakeRecord(f));
    if (i % 7 == 0) rows.back().references = {""};
  }
  std::string reports[3];
  for (size_t threads : {1, 2, 3}) {
    StatsOptions o;
    o.threads = threads;
    reports[threads - 1] = StatsReportJson(CollectRows(rows, o));
  }
  EXPECT_EQ(reports[0], reports[1]);
  EXPECT_EQ(reports[0], reports[2]);
  auto j = nlohmann::json::parse(reports[0]);
  EXPECT_EQ(j["sources"][2]["rows"], 5000 - 715);
}

TEST(StatsCollectorTest, NamedMetricFieldsCountNonNumbers) {
  StatsOptions o;
  o.metric_fields = {"score", "eval.cider"};
  const StatsReport r = CollectRows({MakeRecord({{"laion_2b", Q("a")}, {"score", "\"n/a\""}, {"eval", R"({"cider": 3})"}}),
                                     MakeRecord({{"laion_2b", Q("b")}, {"score", "2"}})},
                                    o);
  ASSERT_EQ(r.metrics.size(), 2u);
  EXPECT_EQ(r.metrics[0].count, 1u);
  EXPECT_EQ(r.metrics[0].invalid, 1u);
  EXPECT_EQ(r.metrics[1].count, 1u);
  EXPECT_DOUBLE_EQ(r.metrics[1].mean, 3.0);
}

TEST(StatsCollectorTest, ReferencesAreSourcesOfTheirOwn) {
  StatsOptions o;
  o.reference_fields = {"ref"};
  Record rec = MakeRecord({{"laion_2b", Q("Red car")}, {"laion_coco", Q("a red car")}, {"ref", Q("A red car on a road")}});
  rec.references = {"", "A red car on a road"};  // as ConfigureReader() maps it: fused, then references
  rec.fields.erase(rec.fields.begin() + 2, rec.fields.end());
  rec.fields.push_back(Field{"ref", Q("A red car on a road")});
  const StatsReport r = CollectRows({rec}, o);
  const SourceSummary& ref = Source(r, "reference");
  EXPECT_EQ(ref.field, "ref");
  EXPECT_EQ(ref.word_count, 6u);
  bool has_fused = false;
  for (const auto& s : r.sources) has_fused |= s.role == "fused";
  EXPECT_FALSE(has_fused);
}

TEST(StatsCollectorTest, EmptyInputGivesAnEmptyReport) {
  const StatsReport r = CollectRows({});
  EXPECT_EQ(r.rows, 0u);
  EXPECT_TRUE(r.sources.empty());
  auto j = nlohmann::json::parse(StatsReportJson(r));
  EXPECT_EQ(j["rows"], 0);
  EXPECT_NE(StatsReportHtml(r, "empty").find("No captions"), std::string::npos);
  EXPECT_FALSE(StatsReportText(r).empty());
}

TEST(StatsCollectorTest, EvalPerItemObjectsAreMetrics) {
  const StatsReport r = CollectRows(
      {MakeRecord({{"id", Q("a")}, {"capsfusion", R"({"bleu_1": 0.5, "cider_d": 1.5})"}}),
       MakeRecord({{"id", Q("b")}, {"capsfusion", R"({"bleu_1": 0.7, "cider_d": 0.5})"}})});
  ASSERT_EQ(r.metrics.size(), 2u);
  EXPECT_EQ(r.metrics[0].name, "capsfusion.bleu_1");
  EXPECT_DOUBLE_EQ(r.metrics[0].mean, 0.6);
  EXPECT_EQ(r.metrics[1].name, "capsfusion.cider_d");
  EXPECT_TRUE(r.sources.empty());  // no caption field holds a string
}

TEST(StatsSharedDataTest, RetentionMatchesTheFusionMetricsOnDev) {
  const std::string dev = testing::SharedData("capsfusion/dev.json");
  if (dev.empty()) GTEST_SKIP() << testing::SharedMissing("capsfusion/dev.json");
  StatsOptions o;
  o.fused_field = "capsfuion_official";
  StatsCollector c(o);
  ReaderOptions ro;
  c.ConfigureReader(&ro);
  auto reader = RecordReader::Open(dev, ro);
  ASSERT_TRUE(reader.ok());
  Record rec;
  Reject rej;
  while ((*reader)->Next(&rec, &rej) == RecordReader::Result::kRecord) c.Add(rec);
  const StatsReport r = c.Report();
  EXPECT_EQ(r.rows, 1000u);
  ASSERT_TRUE(r.retention.measured);
  // docs/metrics.md, "Reference figures on dev.json".
  EXPECT_NEAR(r.retention.raw, 0.889, 0.0005);
  EXPECT_NEAR(r.retention.proper, 0.922, 0.0005);
  EXPECT_EQ(r.retention.proper_rows, 908u);
  EXPECT_EQ(r.retention.number_rows, 419u);
  EXPECT_NEAR(r.retention.synthetic, 0.790, 0.0005);
  EXPECT_EQ(r.retention.prompt_leaks, 42u);
  EXPECT_EQ(r.sources.size(), 3u);
  EXPECT_NEAR(Source(r, "fused").words.mean, 23.3, 0.05);
}

TEST(StatsReportTest, JsonTextAndHtmlAgreeAndEscape) {
  std::vector<Record> rows = {
      MakeRecord({{"laion_2b", Q("<script>alert(1)</script> Paris")},
                  {"laion_coco", Q("a city")},
                  {"capsfusion", Q("a city called Paris")},
                  {"qc_reasons", R"(["<img src=x onerror=alert(2)>"])"}}),
  };
  StatsReport r = CollectRows(rows);
  r.inputs = {"in<put>.jsonl"};
  auto j = nlohmann::json::parse(StatsReportJson(r));
  EXPECT_EQ(j["sources"].size(), 3u);
  EXPECT_EQ(j["sources"][0]["role"], "raw");
  EXPECT_EQ(j["qc"]["reasons"][0]["text"], "<img src=x onerror=alert(2)>");
  EXPECT_TRUE(j.contains("retention"));
  EXPECT_TRUE(j.contains("fused_word_origin"));

  const std::string html = StatsReportHtml(r, "Title <b>");
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(html.find("Title &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("in&lt;put&gt;.jsonl"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // no other URL
  EXPECT_EQ(html.find("https://"), std::string::npos);

  const std::string text = StatsReportText(r);
  EXPECT_NE(text.find("1 rows"), std::string::npos);
  EXPECT_NE(text.find("raw"), std::string::npos);
}

TEST(HtmlEscapeTest, EscapesMarkupAndRepairsBytes) {
  EXPECT_EQ(report::HtmlEscape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(report::HtmlEscape(std::string("a\xFF" "b\x01", 4)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
  EXPECT_EQ(report::TerminalSafe("a\x1b[31mb\xC2\x9B"), "a?[31mb?");
}

TEST(StatsCliTest, JsonAndHtmlFromAFile) {
  testing::TempDir dir;
  const std::string in = dir.File("rows.jsonl");
  testing::WriteFile(in,
                     "{\"laion_2b\": \"Eiffel Tower &amp; Paris\", \"laion_coco\": \"a tower\", \"capsfusion\": \"The Eiffel "
                     "Tower in Paris\", \"qc_reasons\": [\"short\"]}\n"
                     "{\"laion_2b\": \"red car\", \"laion_coco\": \"a red car\", \"capsfusion\": \"A red car.\"}\n"
                     "not json\n");
  std::string out;
  const std::string cli = testing::BinaryDir() + "/capsfusion";
  ASSERT_EQ(testing::RunCommand("(" + cli + " stats " + in + " --json --html " + dir.File("r.html") + " > " + dir.File("s.json") + ")",
                                &out),
            0)
      << out;
  EXPECT_NE(out.find("skipped"), std::string::npos);  // the bad line, on stderr
  auto j = nlohmann::json::parse(testing::ReadFile(dir.File("s.json")));
  EXPECT_EQ(j["rows"], 2);
  EXPECT_EQ(j["rejected"], 1);
  EXPECT_EQ(j["sources"].size(), 3u);
  EXPECT_EQ(j["qc"]["flagged"], 1);
  const std::string html = testing::ReadFile(dir.File("r.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);

  ASSERT_EQ(testing::RunCommand(cli + " stats " + in, &out), 0) << out;
  EXPECT_NE(out.find("vocabulary overlap"), std::string::npos);
  EXPECT_NE(testing::RunCommand(cli + " stats " + dir.File("missing.jsonl"), &out), 0);
}

}  // namespace
}  // namespace capsfusion
