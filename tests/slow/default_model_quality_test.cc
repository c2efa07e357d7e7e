// The shipped models' quality on dev.json (models/README.md holds the tables),
// with fuse's default decoding. Slow: 1,000 rows with beam search (about half a
// minute to a few minutes each on two cores).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "test_util.h"

namespace capsfusion {
namespace {

using testing::BinaryDir;
using testing::RunCommand;
using testing::SharedData;
using testing::SharedMissing;
using testing::SourceDir;
using testing::TempDir;

// Fuses dev.json with models/<file> and the fuse defaults (which take the
// file's tuned beam width, length penalty, span continuation and length
// choice), then scores the captions against the official ones.
nlohmann::json FuseAndScoreDev(const std::string& dev, const std::string& file) {
  TempDir tmp;
  const std::string cf = BinaryDir() + "/capsfusion";
  const std::string model = SourceDir() + "/models/" + file;
  const std::string fused = tmp.File("fused.jsonl");
  std::string out;
  EXPECT_EQ(RunCommand(cf + " fuse '" + dev + "' -o '" + fused + "' --method model --model '" + model + "' -q", &out),
            0)
      << out;
  EXPECT_EQ(RunCommand(cf + " eval '" + fused + "' -c capsfusion -r capsfuion_official --json 2>/dev/null", &out), 0)
      << out;
  auto j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

// The issue's bars that both models meet: no instruction echo, names and
// numbers kept at least as often as the official captions (0.922, 0.838),
// hardly any concatenation, never empty.
void ExpectTheIssuesBars(const nlohmann::json& j) {
  EXPECT_EQ(j["items"].get<int>(), 1000);
  EXPECT_LT(j["prompt_leak_rate"].get<double>(), 0.005);
  EXPECT_GE(j["raw_number_retention"].get<double>(), 0.838);
  EXPECT_GE(j["raw_proper_retention"].get<double>(), 0.922);
  EXPECT_LT(j["concatenation_rate"].get<double>(), 0.05);
  EXPECT_EQ(j["empty"].get<int>(), 0);
}

// A shipped file and the floors under its measured scores (models/README.md);
// small margins for floating-point differences between machines.
struct ShippedModel {
  const char* file;
  double bleu_4, rouge_l, cider_d;
};
void PrintTo(const ShippedModel& m, std::ostream* os) { *os << m.file; }

class SlowDefaultModel : public ::testing::TestWithParam<ShippedModel> {};

TEST_P(SlowDefaultModel, BeatsItsRecordedQualityOnDev) {
  const std::string dev = SharedData("capsfusion/dev.json");
  if (dev.empty()) GTEST_SKIP() << SharedMissing("capsfusion/dev.json");
  const ShippedModel& m = GetParam();
  const nlohmann::json j = FuseAndScoreDev(dev, m.file);
  if (j.is_discarded()) return;
  EXPECT_GE(j["bleu_4"].get<double>(), m.bleu_4);
  EXPECT_GE(j["rouge_l"].get<double>(), m.rouge_l);
  EXPECT_GE(j["cider_d"].get<double>(), m.cider_d);
  ExpectTheIssuesBars(j);
}

INSTANTIATE_TEST_SUITE_P(Shipped, SlowDefaultModel,
                         ::testing::Values(
                             // Measured 0.3736 / 0.5556 / 3.2400; the floors are the issue's
                             // concatenation bar on BLEU-4 and ROUGE-L (0.373, 0.555).
                             ShippedModel{"capsfusion-default.gguf", 0.373, 0.555, 3.20},
                             // Measured 0.3575 / 0.5412 / 3.0157.
                             ShippedModel{"capsfusion-fast.gguf", 0.352, 0.536, 2.97}),
                         [](const ::testing::TestParamInfo<ShippedModel>& info) {
                           return std::string(info.index == 0 ? "Default" : "Fast");
                         });

}  // namespace
}  // namespace capsfusion
