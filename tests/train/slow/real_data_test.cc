// A short run on the real CapsFusion triplets (minutes): the default model
// learns to copy, exports, and the engine reproduces its greedy decoding on
// dev rows. Skipped when ../shared/data/capsfusion is absent.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "capsfusion/engine.h"
#include "capsfusion/prompt.h"
#include "test_util.h"
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

TEST(SlowRealDataTest, DefaultModelLearnsToCopyAndTheEngineAgrees) {
  const std::string train = capsfusion::testing::SharedData("capsfusion/train.json");
  const std::string dev = capsfusion::testing::SharedData("capsfusion/dev.json");
  if (train.empty() || dev.empty()) GTEST_SKIP() << capsfusion::testing::SharedMissing("capsfusion");
  capsfusion::testing::TempDir dir;
  TrainOptions o;
  o.run_dir = dir.File("run");
  o.data.train_files = {train};
  o.data.dev_files = {dev};
  o.optim.max_steps = 200;
  o.optim.warmup_steps = 50;
  o.eval.every_steps = 200;
  o.eval.decode_samples = 50;
  o.threads = 2;
  o.progress = 0;
  o.quiet = true;
  TrainReport r;
  Status s = Train(o, &r);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(r.dropped_leaks, 322);
  ASSERT_EQ(r.evals.size(), 1u);
  const EvalResult& e = r.evals.back();
  std::printf("[ real ] step %lld: dev loss %.3f, BLEU-4 %.3f, ROUGE-L %.3f, CIDEr-D %.3f, names kept %.1f%%\n",
              static_cast<long long>(e.step), e.dev_loss, e.bleu4, e.rouge_l, e.cider, 100 * e.proper_retention);
  EXPECT_LT(e.dev_loss, 3.3);
  EXPECT_GT(e.proper_retention, 0.4);

  ExportOptions x;
  x.run_dir = o.run_dir;
  x.output = dir.File("model.gguf");
  ASSERT_TRUE(Export(x, nullptr).ok());
  ModelOptions mo;
  mo.threads = 2;
  mo.kv_cache_f16 = false;
  auto model = Model::Load(x.output, mo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();

  auto stored = ReadRunConfig(o.run_dir);
  ASSERT_TRUE(stored.ok());
  FusionModel m(stored->model);
  ASSERT_TRUE(LoadCheckpoint(o.run_dir + "/checkpoints/best.pt", m, nullptr, nullptr, false).ok());
  m->eval();
  auto vocab = Vocab::Load(o.run_dir + "/tokenizer.model");
  ASSERT_TRUE(vocab.ok());
  auto builder = ExampleBuilder::Create(vocab->get(), stored->prompt_template, o.data);
  ASSERT_TRUE(builder.ok());
  auto rows = LoadTriplets({dev}, o.data, LeakMode::kKeep, 16, nullptr);
  ASSERT_TRUE(rows.ok());
  PromptTemplate t{"compact", stored->prompt_template};
  std::vector<std::string> prompts;
  PromptBatch p;
  for (const Triplet& row : *rows) {
    prompts.push_back(t.Fill(row.raw, row.synthetic));
    std::vector<uint8_t> src;
    p.ids.push_back(builder->Prompt(row.raw, row.synthetic, &src));
    p.source.push_back(src);
  }
  GenerateOptions g;
  g.max_new_tokens = 40;
  auto out = (*model)->Generate(prompts, g);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  GreedyOptions go;
  go.max_new_tokens = 40;
  go.no_repeat_ngram = 0;
  auto want = GreedyDecode(m, p, (*vocab)->eos_id(), go);
  size_t same = 0;
  for (size_t i = 0; i < prompts.size(); ++i) same += (*out)[i].tokens == want[i] ? 1 : 0;
  // F32 both sides; a near-tie may flip one argmax in a long decode.
  EXPECT_GE(same, prompts.size() - 1);
}

}  // namespace
}  // namespace capsfusion::train
