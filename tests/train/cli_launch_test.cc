// The trainer as users reach it: `capsfusion train|export` start capsfusion-train, whose help,
// messages and exit codes then speak for the `capsfusion` command. Skipped when the CLI or the
// trainer is not built.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>

#include "test_util.h"
#include "toy_data.h"

namespace capsfusion::train {
namespace {

using capsfusion::testing::BinaryDir;
using capsfusion::testing::RunCommand;

class CliLaunchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    for (const std::string& bin : {cli_, trainer_}) {
      if (stat(bin.c_str(), &st) != 0) GTEST_SKIP() << "no " << bin;
    }
  }
  std::string cli_ = BinaryDir() + "/capsfusion";
  std::string trainer_ = BinaryDir() + "/capsfusion-train";
};

TEST_F(CliLaunchTest, HelpOfBothNamesTheCommandUsed) {
  std::string out;
  ASSERT_EQ(RunCommand(cli_ + " train --help", &out), 0) << out;
  EXPECT_NE(out.find("Usage: capsfusion train"), std::string::npos) << out;
  EXPECT_NE(out.find("--run-dir"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(cli_ + " export --help", &out), 0) << out;
  EXPECT_NE(out.find("Usage: capsfusion export"), std::string::npos) << out;
  EXPECT_NE(out.find("--average"), std::string::npos) << out;

  ASSERT_EQ(RunCommand(trainer_ + " --help", &out), 0) << out;
  EXPECT_NE(out.find("capsfusion-train"), std::string::npos) << out;
  EXPECT_NE(out.find("train"), std::string::npos) << out;
  EXPECT_NE(out.find("export"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(trainer_ + " train --help", &out), 0) << out;
  EXPECT_NE(out.find("Usage: capsfusion-train train"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(trainer_ + " --version", &out), 0) << out;
  EXPECT_NE(out.find("capsfusion-train "), std::string::npos) << out;
}

TEST_F(CliLaunchTest, ExitCodesAndMessagesPassThrough) {
  std::string out;
  // Usage errors: 2, from the trainer's own parser.
  EXPECT_EQ(RunCommand(cli_ + " train", &out), 2) << out;
  EXPECT_NE(out.find("inputs is required"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(cli_ + " export --no-such-flag run -o m.gguf", &out), 2) << out;
  // A failure: 1, with the command's one-line message.
  capsfusion::testing::TempDir dir;
  EXPECT_EQ(RunCommand(cli_ + " export " + dir.File("no-run") + " -o " + dir.File("m.gguf"), &out), 1) << out;
  EXPECT_NE(out.find("capsfusion export: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("no-run"), std::string::npos) << out;
}

// Fine-tuning the shipped model from the command line: the run takes the file's
// shape, tokenizer and template, and its export fuses with the engine.
TEST_F(CliLaunchTest, TheShippedModelFineTunesFromTheCommandLine) {
  const std::string shipped = capsfusion::testing::SourceDir() + "/models/capsfusion-default.gguf";
  struct stat st;
  if (stat(shipped.c_str(), &st) != 0) GTEST_SKIP() << "no " << shipped;
  capsfusion::testing::TempDir dir;
  testing::WriteToyData(dir.File("train.jsonl"), 40, 3);
  testing::WriteToyData(dir.File("dev.jsonl"), 4, 4);
  std::string out;
  ASSERT_EQ(RunCommand(cli_ + " train " + dir.File("train.jsonl") + " --dev " + dir.File("dev.jsonl") + " -o " +
                           dir.File("run") + " --init " + shipped +
                           " --max-steps 2 --batch-size 8 --dev-samples 2 --layers 1 --dim 64 --progress off",
                       &out),
            0)
      << out;
  EXPECT_NE(out.find("starting from " + shipped), std::string::npos) << out;
  const std::string config = capsfusion::testing::ReadFile(dir.File("run/config.json"));
  EXPECT_NE(config.find("\"n_embd\": 256"), std::string::npos) << config;  // the file's width, not --dim
  ASSERT_EQ(RunCommand(cli_ + " export " + dir.File("run") + " -o " + dir.File("tuned.gguf") + " --type q8_0", &out), 0)
      << out;
  ASSERT_EQ(RunCommand(cli_ + " fuse " + dir.File("dev.jsonl") + " -o " + dir.File("fused.jsonl") + " --model " +
                           dir.File("tuned.gguf") + " --num-beams 1 --no-qc -q",
                       &out),
            0)
      << out;
  auto rows = capsfusion::testing::ReadJsonl(dir.File("fused.jsonl"));
  ASSERT_EQ(rows.size(), 4u);
  for (const auto& r : rows) EXPECT_FALSE(r.value("capsfusion", "").empty()) << r.dump();

  EXPECT_EQ(RunCommand(cli_ + " train " + dir.File("train.jsonl") + " -o " + dir.File("bad") + " --init " +
                           dir.File("none.gguf") + " --max-steps 1 --progress off",
                       &out),
            1)
      << out;
  EXPECT_NE(out.find("none.gguf"), std::string::npos) << out;
}

}  // namespace
}  // namespace capsfusion::train
