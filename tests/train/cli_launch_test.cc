// The trainer as users reach it: `capsfusion train|export` start capsfusion-train, whose help,
// messages and exit codes then speak for the `capsfusion` command. Skipped when the CLI or the
// trainer is not built.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>

#include "test_util.h"

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

}  // namespace
}  // namespace capsfusion::train
