// Starting a run from a GGUF model (--init): shape, tokenizer, template and
// weights come from the file; resuming checks the file by its contents.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <fstream>

#include "test_util.h"
#include "toy_data.h"
#include "train/checkpoint.h"
#include "train/init_model.h"
#include "train/model.h"
#include "train/run_config.h"
#include "train/train.h"
#include "train/vocab.h"

namespace capsfusion::train {
namespace {

class InitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new capsfusion::testing::TempDir();
    train_ = dir_->File("train.jsonl");
    dev_ = dir_->File("dev.jsonl");
    testing::WriteToyData(train_, 64, 1);
    testing::WriteToyData(dev_, 8, 2);
    for (bool copy : {true, false}) {
      const std::string run = dir_->File(copy ? "copy" : "plain");
      TrainOptions o = Tiny(run);
      o.model.copy_head = copy;
      o.model.n_head_kv = 2;  // grouped-query attention survives the trip
      o.model.tie_embeddings = copy;
      o.optim.max_steps = 3;
      Status s = Train(o, nullptr);
      ASSERT_TRUE(s.ok()) << s.ToString();
      for (const char* type : {"f32", "q8_0"}) {
        ExportOptions e;
        e.run_dir = run;
        e.checkpoint = "last";
        e.type = type;
        e.output = run + "-" + type + ".gguf";
        s = Export(e, nullptr);
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static TrainOptions Tiny(const std::string& run) {
    TrainOptions o = testing::TinyOptions(run, train_, dev_);
    o.eval.decode_samples = 0;
    return o;
  }

  //! The weights of a checkpoint, by GGUF name.
  static std::map<std::string, torch::Tensor> Checkpoint(const std::string& run, const std::string& file) {
    auto stored = ReadRunConfig(run);
    EXPECT_TRUE(stored.ok());
    FusionModel m(stored->model);
    Status s = LoadCheckpoint(run + "/checkpoints/" + file, m, nullptr, nullptr, false);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::map<std::string, torch::Tensor> out;
    for (auto& [name, t] : m->GgufTensors()) out[name] = t.detach().clone();
    return out;
  }

  static capsfusion::testing::TempDir* dir_;
  static std::string train_, dev_;
};
capsfusion::testing::TempDir* InitTest::dir_ = nullptr;
std::string InitTest::train_, InitTest::dev_;

TEST_F(InitTest, ReadsShapeTokenizerAndTemplateFromTheFile) {
  for (const char* run : {"copy", "plain"}) {
    SCOPED_TRACE(run);
    auto stored = ReadRunConfig(dir_->File(run));
    ASSERT_TRUE(stored.ok());
    auto init = ReadInitModel(dir_->File(std::string(run) + "-f32.gguf"));
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    const ModelConfig& a = init->config;
    const ModelConfig& b = stored->model;
    EXPECT_EQ(a.n_vocab, b.n_vocab);
    EXPECT_EQ(a.n_layer, b.n_layer);
    EXPECT_EQ(a.n_embd, b.n_embd);
    EXPECT_EQ(a.n_head, b.n_head);
    EXPECT_EQ(a.kv_heads(), b.kv_heads());
    EXPECT_EQ(a.n_ff, b.n_ff);
    EXPECT_EQ(a.n_ctx, b.n_ctx);
    EXPECT_EQ(a.tie_embeddings, b.tie_embeddings);
    EXPECT_EQ(a.copy_head, b.copy_head);
    EXPECT_EQ(a.copy_width(), b.copy_width());
    EXPECT_EQ(init->prompt_template, stored->prompt_template);
    EXPECT_EQ(init->architecture, b.copy_head ? "capsfusion-copy" : "llama");
    EXPECT_EQ(init->sha256.size(), 64u);
    auto vocab = Vocab::Load(dir_->File(std::string(run) + "/tokenizer.model"));
    ASSERT_TRUE(vocab.ok());
    EXPECT_EQ(init->vocab.tokens, (*vocab)->llama_vocab().tokens);
    EXPECT_EQ(init->vocab.scores, (*vocab)->llama_vocab().scores);
  }
}

TEST_F(InitTest, LoadsTheExactWeightsOfAnF32FileAndTheRoundedOnesOfQ8Zero) {
  for (const char* run : {"copy", "plain"}) {
    SCOPED_TRACE(run);
    auto want = Checkpoint(dir_->File(run), "last.pt");
    for (const char* type : {"f32", "q8_0"}) {
      SCOPED_TRACE(type);
      const std::string file = dir_->File(std::string(run) + "-" + type + ".gguf");
      auto init = ReadInitModel(file);
      ASSERT_TRUE(init.ok()) << init.status().ToString();
      FusionModel m(init->config);
      Status s = LoadInitWeights(*init, m);
      ASSERT_TRUE(s.ok()) << s.ToString();
      for (auto& [name, t] : m->GgufTensors()) {
        const torch::Tensor& w = want.at(name);
        const double err = (t.detach() - w).abs().max().item<double>();
        const double scale = w.abs().max().item<double>();
        if (std::string(type) == "f32") {
          EXPECT_EQ(err, 0.0) << name;
        } else {
          EXPECT_LE(err, scale / 127.0 * 0.51 + 1e-7) << name;  // Q8_0: half a step of the block's scale
        }
      }
    }
  }
}

TEST_F(InitTest, RunStartsFromTheFileAndWritesItsTokenizer) {
  const std::string file = dir_->File("copy-f32.gguf");
  TrainOptions o = Tiny(dir_->File("tuned"));
  o.init_model = file;
  o.model.n_embd = 32;  // replaced by the file's shape
  o.model.n_layer = 1;
  o.tokenizer.vocab_size = 100;
  o.optim.max_steps = 2;
  o.optim.lr = 1e-12;  // the weights stay (almost) where the file put them
  o.optim.warmup_steps = 0;
  TrainReport report;
  Status s = Train(o, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto tuned = ReadRunConfig(o.run_dir);
  auto source = ReadRunConfig(dir_->File("copy"));
  ASSERT_TRUE(tuned.ok() && source.ok());
  EXPECT_EQ(tuned->model.n_embd, source->model.n_embd);
  EXPECT_EQ(tuned->model.n_layer, source->model.n_layer);
  EXPECT_NE(tuned->json.find("\"sha256\""), std::string::npos);
  // The tokenizer written from the file's vocabulary encodes as the original one.
  auto a = Vocab::Load(o.run_dir + "/tokenizer.model");
  auto b = Vocab::Load(dir_->File("copy/tokenizer.model"));
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.status() : a.status()).ToString();
  for (const char* text : {"Zorblat Quinx 2042 near the old mill", "a red kite, 17 cm"}) {
    EXPECT_EQ((*a)->Encode(text, true), (*b)->Encode(text, true)) << text;
  }
  auto want = Checkpoint(dir_->File("copy"), "last.pt");
  auto got = Checkpoint(o.run_dir, "last.pt");
  for (const auto& [name, t] : got) EXPECT_LT((t - want.at(name)).abs().max().item<double>(), 1e-6) << name;
  // The starting weights are kept as step 0, exactly.
  auto start = Checkpoint(o.run_dir, "step-00000000.pt");
  for (const auto& [name, t] : start) EXPECT_EQ((t - want.at(name)).abs().max().item<double>(), 0.0) << name;
}

TEST_F(InitTest, ExportAveragesStepZeroToBlendTheStartWithTheTunedWeights) {
  TrainOptions o = Tiny(dir_->File("blend"));
  o.init_model = dir_->File("copy-f32.gguf");
  o.optim.max_steps = 2;
  o.optim.lr = 1e-2;
  o.optim.warmup_steps = 0;
  o.checkpoint_every = 2;
  ASSERT_TRUE(Train(o, nullptr).ok());
  auto start = Checkpoint(o.run_dir, "step-00000000.pt");
  auto tuned = Checkpoint(o.run_dir, "step-00000002.pt");
  ExportOptions e;
  e.run_dir = o.run_dir;
  e.average_last = 2;
  e.type = "f32";
  e.output = dir_->File("blend.gguf");
  ExportReport report;
  Status s = Export(e, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.averaged.size(), 2u);
  auto init = ReadInitModel(e.output);
  ASSERT_TRUE(init.ok()) << init.status().ToString();
  FusionModel m(init->config);
  ASSERT_TRUE(LoadInitWeights(*init, m).ok());
  double moved = 0;
  for (auto& [name, t] : m->GgufTensors()) {
    const torch::Tensor mid = (start.at(name) + tuned.at(name)) / 2;
    EXPECT_LT((t.detach() - mid).abs().max().item<double>(), 1e-6) << name;
    moved = std::max(moved, (tuned.at(name) - start.at(name)).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-4);  // training moved the weights, so the blend is a real midpoint
}

TEST_F(InitTest, DevFilesMayNameTheirTargetsDifferently) {
  // Training targets in field "mine" (e.g. written by fuse --closest-to), dev targets official.
  const std::string renamed = dir_->File("mine.jsonl");
  std::string text = capsfusion::testing::ReadFile(train_);
  for (size_t at = text.find("capsfuion_official"); at != std::string::npos; at = text.find("capsfuion_official", at)) {
    text.replace(at, 18, "mine");
  }
  capsfusion::testing::WriteFile(renamed, text);
  TrainOptions o = Tiny(dir_->File("devfield"));
  o.data.train_files = {renamed};
  o.data.target_field = "mine";
  o.optim.max_steps = 1;
  Status s = Train(o, nullptr);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);  // the dev file has no "mine"
  EXPECT_NE(s.message().find("mine"), std::string::npos) << s.ToString();
  o.data.dev_target_field = "capsfuion_official";
  o.overwrite = true;
  TrainReport report;
  s = Train(o, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.train_rows, 64);
  EXPECT_EQ(report.dev_rows, 8);
  auto stored = ReadRunConfig(o.run_dir);
  ASSERT_TRUE(stored.ok());
  EXPECT_NE(stored->json.find("\"dev_target_field\""), std::string::npos);
}

TEST_F(InitTest, ResumingChecksTheFileByItsContents) {
  TrainOptions o = Tiny(dir_->File("resume"));
  o.init_model = dir_->File("copy-f32.gguf");
  o.optim.max_steps = 4;
  o.stop_after_steps = 2;
  TrainReport report;
  ASSERT_TRUE(Train(o, &report).ok());
  ASSERT_TRUE(report.interrupted);
  // The same bytes under another name resume; another model does not.
  const std::string moved = dir_->File("moved.gguf");
  capsfusion::testing::WriteFile(moved, capsfusion::testing::ReadFile(o.init_model));
  o.init_model = moved;
  o.resume = true;
  o.stop_after_steps = 0;
  Status s = Train(o, &report);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(report.steps, 4);
  o.init_model = dir_->File("copy-q8_0.gguf");
  s = Train(o, &report);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("init"), std::string::npos) << s.ToString();
}

TEST_F(InitTest, DisagreementsAndBadFilesAreClearErrors) {
  TrainOptions o = Tiny(dir_->File("bad"));
  o.overwrite = true;
  o.init_model = dir_->File("copy-f32.gguf");
  o.prompt_template = "<raw> {raw}<syn> {synthetic}<out>";
  Status s = Train(o, nullptr);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("template"), std::string::npos) << s.ToString();

  o.prompt_template = kCompactTemplate;
  o.tokenizer.model_path = dir_->File("other.model");
  {
    TrainOptions other = Tiny(dir_->File("other"));
    other.tokenizer.vocab_size = 330;
    other.optim.max_steps = 1;
    Status trained = Train(other, nullptr);
    ASSERT_TRUE(trained.ok()) << trained.ToString();
    capsfusion::testing::WriteFile(o.tokenizer.model_path,
                                   capsfusion::testing::ReadFile(dir_->File("other/tokenizer.model")));
  }
  s = Train(o, nullptr);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("pieces"), std::string::npos) << s.ToString();

  o.tokenizer.model_path.clear();
  const std::string broken = dir_->File("broken.gguf");
  std::string bytes = capsfusion::testing::ReadFile(dir_->File("copy-f32.gguf"));
  capsfusion::testing::WriteFile(broken, bytes.substr(0, bytes.size() / 2));
  o.init_model = broken;
  s = Train(o, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("broken.gguf"), std::string::npos) << s.ToString();
  o.init_model = dir_->File("missing.gguf");
  s = Train(o, nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing.gguf"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace capsfusion::train
