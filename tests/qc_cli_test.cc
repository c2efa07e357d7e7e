// End-to-end tests of `capsfusion qc`: counts, the qc_reasons field, policy
// preview, threshold flags, unchecked and unreadable rows, exit codes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace capsfusion {
namespace {

using testing::BinaryDir;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

using testing::Cli;

// Runs a command with stdout only (stderr discarded).
int RunStdout(const std::string& command, std::string* out) { return RunCommand("(" + command + " 2>/dev/null)", out); }

using testing::ReadJsonl;

// Five rows: a good fusion, a leak, a concatenation, an empty caption, a row
// without the fused field; then an unreadable line.
std::string Input() {
  return "{\"id\": 1, \"laion_2b\": \"Kyoto river\", \"laion_coco\": \"A river with red trees.\", "
         "\"capsfusion\": \"A river in Kyoto with red trees.\"}\n"
         "{\"id\": 2, \"laion_2b\": \"Kyoto river\", \"laion_coco\": \"A river with red trees.\", "
         "\"capsfusion\": \"Sentence 1 provides detailed real-world knowledge of a river in Kyoto with red trees.\"}\n"
         "{\"id\": 3, \"laion_2b\": \"Kyoto river\", \"laion_coco\": \"A river with red trees.\", "
         "\"capsfusion\": \"Kyoto river A river with red trees.\"}\n"
         "{\"id\": 4, \"laion_2b\": \"Kyoto river\", \"laion_coco\": \"A river with red trees.\", \"capsfusion\": \"  \"}\n"
         "{\"id\": 5, \"laion_2b\": \"Kyoto river\", \"laion_coco\": \"A river with red trees.\"}\n"
         "{\"id\": 6, \"laion_2b\": \"broken\n";
}

TEST(QcCliTest, CountsAndWritesQcReasons) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"), Input());
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " qc " + dir.File("in.jsonl") + " -o " + dir.File("out.jsonl") + " --json", &out), 0)
      << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["rows"], 6);
  EXPECT_EQ(j["checked"], 4);
  EXPECT_EQ(j["passed"], 1);
  EXPECT_EQ(j["flagged"], 3);
  EXPECT_EQ(j["unchecked"], 1);
  EXPECT_EQ(j["rejected"], 1);
  EXPECT_EQ(j["reasons"]["prompt_leak"], 1);
  EXPECT_EQ(j["reasons"]["concatenation"], 1);
  EXPECT_EQ(j["reasons"]["empty"], 1);
  EXPECT_EQ(j["options"]["max_length_ratio"], 2.5);
  const auto rows = ReadJsonl(dir.File("out.jsonl"));
  ASSERT_EQ(rows.size(), 5u);  // the unchecked row passes through, the broken one is rejected
  EXPECT_EQ(rows[0]["qc_reasons"], nlohmann::json::array());
  EXPECT_EQ(rows[1]["qc_reasons"], nlohmann::json::array({"prompt_leak"}));
  EXPECT_EQ(rows[2]["qc_reasons"], nlohmann::json::array({"concatenation"}));
  EXPECT_EQ(rows[3]["qc_reasons"], nlohmann::json::array({"empty"}));
  EXPECT_FALSE(rows[4].contains("qc_reasons"));
  EXPECT_EQ(rows[4]["id"], 5);
  EXPECT_NE(ReadFile(dir.File("out.jsonl.rejects.jsonl")).find("in.jsonl:6"), std::string::npos);
  // `capsfusion stats` reads the field back.
  ASSERT_EQ(RunCommand(Cli() + " stats " + dir.File("out.jsonl") + " --json", &out), 0) << out;
  EXPECT_NE(out.find("prompt_leak"), std::string::npos);
  // --strict: unchecked and unreadable rows make exit code 3.
  EXPECT_EQ(RunCommand(Cli() + " qc " + dir.File("in.jsonl") + " --strict", &out), 3) << out;
}

TEST(QcCliTest, TablePolicyPreviewAndThresholds) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"), Input());
  std::string out;
  ASSERT_EQ(RunStdout(Cli() + " qc " + dir.File("in.jsonl") + " --policy prompt_leak=drop,empty=synthetic",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("prompt_leak              1"), std::string::npos) << out;
  EXPECT_NE(out.find("policy empty=synthetic,prompt_leak=drop,concatenation=retry"), std::string::npos) << out;
  EXPECT_NE(out.find("drop                     1"), std::string::npos) << out;
  EXPECT_NE(out.find("synthetic                1"), std::string::npos) << out;
  EXPECT_NE(out.find("retry                    1"), std::string::npos) << out;
  // Disabled checks are off; examples say what the check found.
  ASSERT_EQ(RunStdout(Cli() + " qc " + dir.File("in.jsonl") + " --qc-disable prompt_leak --examples 1", &out),
            0);
  EXPECT_NE(out.find("prompt_leak              0    0.00%  (off)"), std::string::npos) << out;
  EXPECT_NE(out.find("[concatenation] row 2"), std::string::npos) << out;
  // A threshold flag changes the result.
  ASSERT_EQ(RunStdout(Cli() + " qc " + dir.File("in.jsonl") + " --json --qc-max-length-ratio 0.1", &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out)["reasons"]["length_ratio"], 3);
}

TEST(QcCliTest, BadPolicyOrFlagsFail) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"), Input());
  std::string out;
  EXPECT_EQ(RunCommand(Cli() + " qc " + dir.File("in.jsonl") + " --policy leak=retry", &out), 1);
  EXPECT_NE(out.find("capsfusion qc: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown QC reason \"leak\""), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Cli() + " qc " + dir.File("in.jsonl") + " --qc-disable nope", &out), 1);
  EXPECT_NE(out.find("--qc-disable"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Cli() + " qc " + dir.File("in.jsonl") + " --qc-repeat-ngram 0", &out), 2);
  EXPECT_EQ(RunCommand(Cli() + " qc", &out), 2);
  EXPECT_EQ(RunCommand(Cli() + " qc " + dir.File("missing.jsonl"), &out), 1);
  // Rows to stdout, the report to stderr.
  ASSERT_EQ(RunStdout(Cli() + " qc " + dir.File("in.jsonl") + " -o -", &out), 0);
  EXPECT_EQ(out.find("rows    share"), std::string::npos) << out;
  EXPECT_NE(out.find("\"qc_reasons\":[\"prompt_leak\"]"), std::string::npos) << out;
}

}  // namespace
}  // namespace capsfusion
