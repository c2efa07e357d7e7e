// The training loop: learning, exact resume, run-directory rules, signals.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <csignal>
#include <filesystem>

#include "test_util.h"
#include "toy_data.h"
#include "train/checkpoint.h"
#include "train/model.h"
#include "train/run_config.h"
#include "train/signal_guard.h"
#include "train/train.h"

namespace capsfusion::train {
namespace {

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    train_ = dir_.File("train.jsonl");
    dev_ = dir_.File("dev.jsonl");
    testing::WriteToyData(train_, 160, 1);
    testing::WriteToyData(dev_, 24, 2);
  }
  TrainOptions Options(const std::string& name) { return testing::TinyOptions(dir_.File(name), train_, dev_); }

  //! The parameters of a run's checkpoint, flattened.
  torch::Tensor Weights(const std::string& run, const std::string& file) {
    auto stored = ReadRunConfig(run);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    FusionModel m(stored->model);
    Status s = LoadCheckpoint(run + "/checkpoints/" + file, m, nullptr, nullptr, false);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<torch::Tensor> flat;
    for (auto& p : m->parameters()) flat.push_back(p.detach().reshape({-1}));
    return torch::cat(flat);
  }

  capsfusion::testing::TempDir dir_;
  std::string train_, dev_;
};

TEST_F(TrainerTest, LossDecreasesAndTheModelLearnsToCopy) {
  TrainOptions o = Options("run");
  o.optim.epochs = 6;
  o.eval.every_steps = 10;
  TrainReport r;
  Status s = Train(o, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.steps, 60);  // 160 rows / 16 per batch * 6 epochs
  ASSERT_GE(r.evals.size(), 5u);
  EXPECT_LT(r.evals.back().dev_loss, 0.5 * r.evals.front().dev_loss);
  EXPECT_LT(r.evals.back().train_loss, r.evals.front().train_loss);
  EXPECT_GT(r.evals.back().proper_retention, 0.5);  // invented names come out of the copy head
  EXPECT_EQ(r.evals.back().leak_rate, 0.0);
  EXPECT_TRUE(std::filesystem::exists(o.run_dir + "/checkpoints/best.pt"));
  EXPECT_TRUE(std::filesystem::exists(o.run_dir + "/dev-samples.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(o.run_dir + "/log.jsonl"));
}

TEST_F(TrainerTest, ResumeAfterInterruptionGivesTheSameModel) {
  TrainOptions whole = Options("whole");
  TrainReport rw;
  ASSERT_TRUE(Train(whole, &rw).ok());
  EXPECT_FALSE(rw.interrupted);

  // The same run, stopped twice in the middle of an epoch and resumed.
  TrainOptions part = Options("part");
  part.stop_after_steps = 7;
  TrainReport r1;
  ASSERT_TRUE(Train(part, &r1).ok());
  EXPECT_TRUE(r1.interrupted);
  EXPECT_EQ(r1.steps, 7);
  part.resume = true;
  part.stop_after_steps = 13;
  TrainReport r2;
  ASSERT_TRUE(Train(part, &r2).ok());
  EXPECT_TRUE(r2.resumed);
  EXPECT_EQ(r2.steps, 13);
  part.stop_after_steps = 0;
  TrainReport r3;
  ASSERT_TRUE(Train(part, &r3).ok());
  EXPECT_EQ(r3.steps, rw.steps);

  EXPECT_TRUE(torch::equal(Weights(whole.run_dir, "last.pt"), Weights(part.run_dir, "last.pt")));
  EXPECT_TRUE(torch::equal(Weights(whole.run_dir, "best.pt"), Weights(part.run_dir, "best.pt")));
  ASSERT_FALSE(rw.evals.empty());
  ASSERT_FALSE(r3.evals.empty());
  EXPECT_EQ(rw.evals.back().dev_loss, r3.evals.back().dev_loss);
  EXPECT_EQ(rw.evals.back().train_loss, r3.evals.back().train_loss);

  // Resuming a finished run does nothing.
  TrainReport r4;
  ASSERT_TRUE(Train(part, &r4).ok());
  EXPECT_EQ(r4.steps, rw.steps);
  EXPECT_TRUE(r4.evals.empty());
}

TEST_F(TrainerTest, RunDirectoryRules) {
  TrainOptions o = Options("rules");
  o.optim.max_steps = 3;
  ASSERT_TRUE(Train(o, nullptr).ok());
  // An existing run needs --resume or --overwrite.
  Status again = Train(o, nullptr);
  EXPECT_EQ(again.code(), Status::Code::kInvalidArgument);
  // Resuming with another model shape is refused and names the option.
  o.resume = true;
  o.model.n_embd = 32;
  Status other = Train(o, nullptr);
  EXPECT_FALSE(other.ok());
  EXPECT_NE(other.message().find("model.n_embd"), std::string::npos) << other.ToString();
  // Overwrite starts afresh.
  o.resume = false;
  o.overwrite = true;
  TrainReport r;
  ASSERT_TRUE(Train(o, &r).ok());
  EXPECT_FALSE(r.resumed);
  EXPECT_EQ(r.steps, 3);
}

TEST_F(TrainerTest, BadOptionsAreStatuses) {
  TrainOptions o = Options("bad");
  o.optim.batch_size = 0;
  EXPECT_FALSE(Train(o, nullptr).ok());
  o = Options("bad");
  o.model.n_head = 3;
  EXPECT_FALSE(Train(o, nullptr).ok());
  o = Options("bad");
  o.data.train_files = {dir_.File("missing.jsonl")};
  EXPECT_FALSE(Train(o, nullptr).ok());
  o = Options("bad");
  o.prompt_template = "{raw} {synthetic}";
  EXPECT_FALSE(Train(o, nullptr).ok());
  o = Options("bad2");
  o.eval.select = "bleu7";
  EXPECT_FALSE(Train(o, nullptr).ok());
  o = Options("bad3");
  o.optim.label_smoothing = 1.0;
  Status smoothing = Train(o, nullptr);
  EXPECT_EQ(smoothing.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(smoothing.message().find("label smoothing"), std::string::npos) << smoothing.ToString();
}

TEST_F(TrainerTest, LabelSmoothingIsPartOfTheRunsIdentity) {
  TrainOptions o = Options("smooth");
  o.optim.max_steps = 2;
  o.optim.label_smoothing = 0.1;
  TrainReport r;
  ASSERT_TRUE(Train(o, &r).ok());
  ASSERT_FALSE(r.evals.empty());
  EXPECT_TRUE(std::isfinite(r.evals.back().dev_loss));
  o.resume = true;
  o.optim.max_steps = 3;
  o.optim.label_smoothing = 0.2;
  Status other = Train(o, nullptr);
  EXPECT_NE(other.message().find("optim.label_smoothing"), std::string::npos) << other.ToString();

  // A run whose config.json predates the option trained without smoothing.
  auto stored = ReadRunConfig(o.run_dir);
  ASSERT_TRUE(stored.ok());
  TrainOptions plain = Options("smooth");
  EXPECT_TRUE(CheckResumable(stored->json, plain, "").message().find("label_smoothing") != std::string::npos);
  std::string old = stored->json;
  const std::string key = "\"label_smoothing\": 0.1,";
  ASSERT_NE(old.find(key), std::string::npos) << old;
  old.erase(old.find(key), key.size());
  EXPECT_TRUE(CheckResumable(old, plain, "").ok());
  plain.optim.label_smoothing = 0.1;
  EXPECT_FALSE(CheckResumable(old, plain, "").ok());
}

TEST_F(TrainerTest, CorruptCheckpointIsAStatus) {
  TrainOptions o = Options("corrupt");
  o.optim.max_steps = 2;
  ASSERT_TRUE(Train(o, nullptr).ok());
  capsfusion::testing::WriteFile(o.run_dir + "/checkpoints/last.pt", "garbage");
  o.resume = true;
  o.optim.max_steps = 4;
  Status s = Train(o, nullptr);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
}

TEST(SignalGuardTest, SigintBecomesAFlag) {
  {
    SignalGuard g;
    EXPECT_EQ(SignalGuard::received(), 0);
    std::raise(SIGINT);
    EXPECT_EQ(SignalGuard::received(), SIGINT);
  }
  SignalGuard again;
  EXPECT_EQ(SignalGuard::received(), 0);
}

}  // namespace
}  // namespace capsfusion::train
