// Parity: the engine's forward pass on an exported file agrees with the
// LibTorch model it came from (next-token log-probabilities of a few prompts,
// after some generated tokens too), for F32 and Q8_0 files, with and without
// the copy head; and greedy generation through the public API reproduces the
// trainer's greedy decoding.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "capsfusion/engine.h"
#include "capsfusion/prompt.h"
#include "engine/architecture.h"
#include "engine/kv_cache.h"
#include "engine/thread_pool.h"
#include "gguf/gguf.h"
#include "test_util.h"
#include "toy_data.h"
#include "train/checkpoint.h"
#include "train/decode.h"
#include "train/example.h"
#include "train/model.h"
#include "train/run_config.h"
#include "train/train.h"
#include "train/triplet.h"
#include "train/vocab.h"

namespace capsfusion::train {
namespace {

struct Case {
  bool copy;
  bool q8;
  bool kv_f16;
  double tolerance;  //!< max |log p engine - log p torch| over tokens with log p > -15
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.copy ? "Copy" : "Llama") + (info.param.q8 ? "Q8" : "F32") +
         (info.param.kv_f16 ? "KvF16" : "KvF32");
}

class ParityTest : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new capsfusion::testing::TempDir();
    std::string train = dir_->File("train.jsonl"), dev = dir_->File("dev.jsonl");
    testing::WriteToyData(train, 96, 1);
    testing::WriteToyData(dev, 8, 2);
    for (bool copy : {true, false}) {
      TrainOptions o = testing::TinyOptions(dir_->File(copy ? "copy" : "plain"), train, dev);
      o.model.copy_head = copy;
      o.model.n_head_kv = 2;  // grouped-query attention on the way
      o.optim.max_steps = 25;
      o.eval.decode_samples = 0;
      Status s = Train(o, nullptr);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  void SetUp() override {
    const Case& c = GetParam();
    run_ = dir_->File(c.copy ? "copy" : "plain");
    auto stored = ReadRunConfig(run_);
    ASSERT_TRUE(stored.ok());
    config_ = stored->model;
    tmpl_ = stored->prompt_template;
    file_ = dir_->File(std::string(c.copy ? "copy" : "plain") + (c.q8 ? "-q8" : "") + ".gguf");
    ExportOptions e;
    e.run_dir = run_;
    e.checkpoint = "last";
    e.output = file_;
    e.type = c.q8 ? "q8_0" : "f32";
    Status s = Export(e, nullptr);
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto v = Vocab::Load(run_ + "/tokenizer.model");
    ASSERT_TRUE(v.ok());
    vocab_ = std::move(*v);
    auto rows = LoadTriplets({dir_->File("dev.jsonl")}, DataOptions{}, LeakMode::kKeep, 0, nullptr);
    ASSERT_TRUE(rows.ok());
    rows_ = *rows;
  }

  //! The LibTorch model with the weights as the file holds them (dequantized).
  FusionModel TorchModel(const gguf::GgufFile& f) {
    FusionModel m(config_);
    m->eval();
    torch::NoGradGuard g;
    for (auto& [name, p] : m->GgufTensors()) {
      const gguf::TensorInfo* t = f.FindTensor(name);
      EXPECT_NE(t, nullptr) << name;
      if (t == nullptr) continue;
      std::vector<float> v(t->n_elements);
      const int64_t cols = static_cast<int64_t>(t->shape[0]);
      const size_t rb = *gguf::RowBytes(t->type, cols);
      for (uint64_t r = 0; r < t->n_elements / cols; ++r) {
        gguf::DequantizeRow(t->type, t->data + r * rb, v.data() + r * cols, cols);
      }
      p.copy_(torch::tensor(v).reshape(p.sizes()));
    }
    return m;
  }

  std::string run_, file_, tmpl_;
  ModelConfig config_;
  std::unique_ptr<Vocab> vocab_;
  std::vector<Triplet> rows_;
  static capsfusion::testing::TempDir* dir_;
};
capsfusion::testing::TempDir* ParityTest::dir_ = nullptr;

TEST_P(ParityTest, EngineLogProbsMatchLibTorch) {
  const Case& c = GetParam();
  auto f = gguf::GgufFile::Open(file_);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  FusionModel torch_model = TorchModel(**f);

  engine::ThreadPool pool(1);
  engine::ArchitectureOptions aopt;
  aopt.pool = &pool;
  aopt.kv_type = c.kv_f16 ? engine::KvType::kF16 : engine::KvType::kF32;
  auto lm = engine::LoadLanguageModel(**f, aopt);
  ASSERT_TRUE(lm.ok()) << lm.status().ToString();
  engine::KvCache cache((*lm)->kv_cache_config());

  auto builder = ExampleBuilder::Create(vocab_.get(), tmpl_, DataOptions{});
  ASSERT_TRUE(builder.ok());
  double worst = 0;
  for (size_t r = 0; r < 4; ++r) {
    Example e = builder->Build(rows_[r]);
    PromptBatch p;
    p.ids = {e.prompt};
    p.source = {e.source};
    const int seq = cache.NewSequence();
    std::vector<engine::BatchToken> batch;
    for (size_t i = 0; i < e.prompt.size(); ++i) {
      batch.push_back({e.prompt[i], seq, static_cast<int32_t>(i), i + 1 == e.prompt.size()});
    }
    // The prompt, then four target tokens one at a time (generated positions).
    for (size_t step = 0; step <= 4; ++step) {
      std::vector<float> logits;
      Status s = (*lm)->Forward(batch, &cache, &logits);
      ASSERT_TRUE(s.ok()) << s.ToString();
      auto engine_lp = torch::log_softmax(torch::tensor(logits), -1);
      auto torch_lp = NextTokenLogProbs(torch_model, p)[0];
      auto relevant = torch_lp > -15;
      double diff = (engine_lp - torch_lp).abs().masked_select(relevant).max().item<double>();
      worst = std::max(worst, diff);
      EXPECT_LE(diff, c.tolerance) << "row " << r << " step " << step;
      if (!c.q8) {
        EXPECT_EQ(engine_lp.argmax().item<int64_t>(), torch_lp.argmax().item<int64_t>()) << "row " << r << " step " << step;
      }
      const int32_t next = e.target[step];
      const int32_t pos = static_cast<int32_t>(p.ids[0].size());
      p.ids[0].push_back(next);
      p.source[0].push_back(0);
      batch = {{next, seq, pos, true}};
    }
    cache.Release(seq);
  }
  std::printf("[ parity ] %s: max |log p| difference %.2e (tolerance %.0e)\n", file_.c_str(), worst, c.tolerance);
}

//! Exact token agreement, on F32 files with an F32 cache.
class GreedyParityTest : public ParityTest {};

TEST_P(GreedyParityTest, PublicApiGreedyMatchesTrainerGreedy) {
  const Case& c = GetParam();
  ModelOptions mo;
  mo.threads = 1;
  mo.kv_cache_f16 = false;
  auto model = Model::Load(file_, mo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().architecture, c.copy ? "capsfusion-copy" : "llama");
  EXPECT_EQ((*model)->info().prompt_template, tmpl_);
  auto f = gguf::GgufFile::Open(file_);
  ASSERT_TRUE(f.ok());
  FusionModel torch_model = TorchModel(**f);
  auto builder = ExampleBuilder::Create(vocab_.get(), tmpl_, DataOptions{});
  ASSERT_TRUE(builder.ok());

  PromptTemplate t{"compact", tmpl_};
  std::vector<std::string> prompts;
  PromptBatch p;
  for (size_t r = 0; r < 4; ++r) {
    prompts.push_back(t.Fill(rows_[r].raw, rows_[r].synthetic));
    std::vector<uint8_t> src;
    p.ids.push_back(builder->Prompt(rows_[r].raw, rows_[r].synthetic, &src));
    p.source.push_back(src);
  }
  GenerateOptions g;
  g.max_new_tokens = 24;
  auto out = (*model)->Generate(prompts, g);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  GreedyOptions go;
  go.max_new_tokens = 24;
  go.no_repeat_ngram = 0;
  auto want = GreedyDecode(torch_model, p, vocab_->eos_id(), go);
  for (size_t r = 0; r < prompts.size(); ++r) {
    EXPECT_EQ((*out)[r].prompt_tokens, p.ids[r].size());
    EXPECT_EQ((*out)[r].tokens, want[r]) << prompts[r];
    EXPECT_EQ((*out)[r].text, vocab_->Decode(want[r]));
  }
}

INSTANTIATE_TEST_SUITE_P(Files, ParityTest,
                         ::testing::Values(Case{true, false, false, 1e-4}, Case{false, false, false, 1e-4},
                                           Case{true, true, false, 5e-2}, Case{false, true, false, 5e-2},
                                           Case{true, false, true, 1e-2}),
                         Name);
INSTANTIATE_TEST_SUITE_P(Files, GreedyParityTest,
                         ::testing::Values(Case{true, false, false, 0}, Case{false, false, false, 0}), Name);

}  // namespace
}  // namespace capsfusion::train
