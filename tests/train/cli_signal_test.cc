// `capsfusion train` as a process: SIGTERM writes a checkpoint and exits with
// 128 + 15, kill -9 loses at most the steps since the last checkpoint, and
// --resume finishes both runs. Skipped when the CLI binary is not built.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

#include "test_util.h"
#include "toy_data.h"

namespace capsfusion::train {
namespace {

class CliSignalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_ = capsfusion::testing::BinaryDir() + "/capsfusion";
    struct stat st;
    if (stat(cli_.c_str(), &st) != 0) GTEST_SKIP() << "no " << cli_;
    testing::WriteToyData(dir_.File("train.jsonl"), 160, 1);
    testing::WriteToyData(dir_.File("dev.jsonl"), 16, 2);
  }

  std::string Train(const std::string& run, const std::string& extra) {
    return cli_ + " train " + dir_.File("train.jsonl") + " --dev " + dir_.File("dev.jsonl") + " -o " + dir_.File(run) +
           " --vocab-size 500 --layers 1 --dim 32 --heads 2 --ff 64 --ctx 128 --batch-size 8 --dev-samples 0"
           " --checkpoint-every 5 --eval-every 1000 --quiet " + extra;
  }

  std::string cli_;
  capsfusion::testing::TempDir dir_;
};

//! A shell command that starts `train`, waits until its first checkpoint
//! exists (the training loop is running), then sends `signal` and returns the
//! training process's exit status.
std::string SignalOnceTraining(const std::string& train, const std::string& run_dir, const std::string& signal) {
  return "sh -c '" + train + " & pid=$!; i=0; while [ ! -f " + run_dir +
         "/checkpoints/last.pt ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.3; kill -" + signal +
         " $pid; wait $pid'";
}

TEST_F(CliSignalTest, SigtermCheckpointsAndKillNineResumes) {
  std::string out;
  int rc = capsfusion::testing::RunCommand(
      SignalOnceTraining(Train("term", "--max-steps 1000000"), dir_.File("term"), "TERM"), &out);
  EXPECT_EQ(rc, 128 + 15) << out;
  EXPECT_NE(out.find("--resume"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir_.File("term/checkpoints/last.pt")));
  // Resumes, then stops after one step (the run is already past step 1).
  rc = capsfusion::testing::RunCommand(Train("term", "--resume --max-steps 1000000 --stop-after-steps 1"), &out);
  EXPECT_EQ(rc, 0) << out;

  rc = capsfusion::testing::RunCommand(
      SignalOnceTraining(Train("kill", "--max-steps 1000000"), dir_.File("kill"), "KILL"), &out);
  EXPECT_EQ(rc, 128 + 9) << out;
  ASSERT_TRUE(std::filesystem::exists(dir_.File("kill/checkpoints/last.pt"))) << out;
  rc = capsfusion::testing::RunCommand(Train("kill", "--resume --max-steps 1000000 --stop-after-steps 1"), &out);
  EXPECT_EQ(rc, 0) << out;
}

}  // namespace
}  // namespace capsfusion::train
