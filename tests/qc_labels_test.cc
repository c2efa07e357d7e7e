// The hand labels of docs/qc-labels.tsv stay in sync with the checks: every
// labelled row is still flagged for its reason on the official captions of
// ../shared/data/capsfusion/dev.json, and the labelled rows of a reason are
// exactly its first flagged rows (up to 30), the sample docs/qc.md reports.

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/fusion_metrics.h"
#include "capsfusion/qc.h"
#include "test_util.h"

namespace capsfusion {
namespace {

struct Label {
  size_t row;
  QcReason reason;
  bool correct;
};

std::vector<Label> ReadLabels() {
  std::ifstream in(testing::SourceDir() + "/docs/qc-labels.tsv");
  EXPECT_TRUE(in) << "docs/qc-labels.tsv is missing";
  std::vector<Label> out;
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "dataset\trow\treason\tverdict\tnote");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    EXPECT_EQ(cols.size(), 5u) << line;
    if (cols.size() != 5) continue;
    EXPECT_EQ(cols[0], "dev.json") << line;
    auto reason = ParseQcReason(cols[2]);
    EXPECT_TRUE(reason.ok()) << line;
    EXPECT_TRUE(cols[3] == "correct" || cols[3] == "wrong") << line;
    if (!reason.ok()) continue;
    out.push_back(Label{std::stoul(cols[1]), *reason, cols[3] == "correct"});
  }
  return out;
}

TEST(QcLabelsTest, LabelledRowsAreTheFirstFlaggedRowsOfDev) {
  const std::vector<Label> labels = ReadLabels();
  ASSERT_FALSE(labels.empty());
  const std::string rel = "capsfusion/dev.json";
  const std::string path = testing::SharedData(rel);
  if (path.empty()) GTEST_SKIP() << testing::SharedMissing(rel);
  std::ifstream in(path);
  const nlohmann::json dev = nlohmann::json::parse(in);
  const QcOptions options;
  // Flagged rows per reason, in row order.
  std::array<std::vector<size_t>, kQcReasonCount> flagged;
  for (size_t i = 0; i < dev.size(); ++i) {
    const QcResult r = CheckFusion(dev[i].at("laion_2b").get<std::string>(), dev[i].at("laion_coco").get<std::string>(),
                                   dev[i].at("capsfuion_official").get<std::string>(), options);
    for (QcReason why : r.reasons) flagged[static_cast<size_t>(why)].push_back(i);
  }
  std::array<std::vector<size_t>, kQcReasonCount> labelled;
  std::array<size_t, kQcReasonCount> correct{};
  for (const Label& l : labels) {
    ASSERT_LT(l.row, dev.size());
    labelled[static_cast<size_t>(l.reason)].push_back(l.row);
    correct[static_cast<size_t>(l.reason)] += l.correct;
  }
  for (size_t k = 0; k < kQcReasonCount; ++k) {
    const char* name = QcReasonName(static_cast<QcReason>(k));
    std::vector<size_t> sample(flagged[k].begin(), flagged[k].begin() + std::min<size_t>(30, flagged[k].size()));
    std::vector<size_t> have = labelled[k];
    std::sort(have.begin(), have.end());
    EXPECT_EQ(have, sample) << name << ": the labels no longer match the first flagged rows; relabel docs/qc-labels.tsv";
    if (!have.empty()) {
      std::printf("%-15s flagged %4zu  labelled %2zu  precision %.3f\n", name, flagged[k].size(), have.size(),
                  static_cast<double>(correct[k]) / have.size());
    }
  }
}

// The leak and concatenation checks are the fusion metrics' own: on every
// dev row and on the plain concatenation baseline they agree with
// MeasureFusion, and the results are the same on a second run.
TEST(QcLabelsTest, AgreesWithTheFusionMetricsOnDev) {
  const std::string rel = "capsfusion/dev.json";
  const std::string path = testing::SharedData(rel);
  if (path.empty()) GTEST_SKIP() << testing::SharedMissing(rel);
  std::ifstream in(path);
  const nlohmann::json dev = nlohmann::json::parse(in);
  const QcOptions options;
  size_t concatenations = 0;
  for (const auto& row : dev) {
    const std::string raw = row.at("laion_2b"), syn = row.at("laion_coco"), fused = row.at("capsfuion_official");
    for (const std::string& f : {fused, raw + " " + syn}) {
      const QcResult r = CheckFusion(raw, syn, f, options);
      const FusionItemMetrics m = MeasureFusion(raw, syn, f);
      ASSERT_EQ(r.Has(QcReason::kPromptLeak), m.prompt_leak) << f;
      ASSERT_EQ(r.Has(QcReason::kConcatenation), m.concatenation) << f;
      ASSERT_EQ(r.Has(QcReason::kEmpty), m.empty) << f;
      ASSERT_EQ(CheckFusion(raw, syn, f, options).ToJson(), r.ToJson());
    }
    // The raw baseline keeps every raw name and number, and hallucinates none.
    const QcResult own = CheckFusion(raw, syn, raw, options);
    EXPECT_FALSE(own.Has(QcReason::kDroppedName) || own.Has(QcReason::kDroppedNumber) ||
                 own.Has(QcReason::kHallucination)) << raw;
    concatenations += CheckFusion(raw, syn, raw + " " + syn, options).Has(QcReason::kConcatenation);
  }
  EXPECT_EQ(concatenations, dev.size());
}

}  // namespace
}  // namespace capsfusion
