// Export: GGUF files of a run, read back with the project's reader and tokenizer.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>

#include "gguf/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer_metadata.h"
#include "toy_data.h"
#include "train/checkpoint.h"
#include "train/model.h"
#include "train/run_config.h"
#include "train/train.h"
#include "train/vocab.h"

namespace capsfusion::train {
namespace {

class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new capsfusion::testing::TempDir();
    std::string train = dir_->File("train.jsonl"), dev = dir_->File("dev.jsonl");
    testing::WriteToyData(train, 64, 1);
    testing::WriteToyData(dev, 8, 2);
    for (bool copy : {true, false}) {
      TrainOptions o = testing::TinyOptions(dir_->File(copy ? "copy" : "plain"), train, dev);
      o.model.copy_head = copy;
      o.optim.max_steps = 4;
      o.checkpoint_every = 1;
      o.eval.decode_samples = 0;
      Status s = Train(o, nullptr);
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  //! The weights of a run's checkpoint file, by GGUF name.
  static std::map<std::string, torch::Tensor> Weights(const std::string& run, const std::string& file) {
    auto stored = ReadRunConfig(run);
    EXPECT_TRUE(stored.ok());
    FusionModel m(stored->model);
    EXPECT_TRUE(LoadCheckpoint(run + "/checkpoints/" + file, m, nullptr, nullptr, false).ok());
    std::map<std::string, torch::Tensor> out;
    for (auto& [name, t] : m->GgufTensors()) out[name] = t.detach().clone();
    return out;
  }

  static std::unique_ptr<gguf::GgufFile> ExportAndOpen(ExportOptions e, ExportReport* report = nullptr) {
    Status s = Export(e, report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto f = gguf::GgufFile::Open(e.output);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return f.ok() ? std::move(*f) : nullptr;
  }

  static torch::Tensor Read(const gguf::TensorInfo& t) {
    std::vector<float> v(t.n_elements);
    const int64_t cols = static_cast<int64_t>(t.shape[0]);
    const size_t row_bytes = *gguf::RowBytes(t.type, cols);
    for (uint64_t r = 0; r < t.n_elements / cols; ++r) {
      gguf::DequantizeRow(t.type, t.data + r * row_bytes, v.data() + r * cols, cols);
    }
    return torch::tensor(v);
  }

  static capsfusion::testing::TempDir* dir_;
};
capsfusion::testing::TempDir* ExportTest::dir_ = nullptr;

TEST_F(ExportTest, F32CopyHeadFileHoldsTheExactWeightsAndMetadata) {
  ExportOptions e;
  e.run_dir = dir_->File("copy");
  e.checkpoint = "last";
  e.output = dir_->File("copy.gguf");
  ExportReport r;
  auto f = ExportAndOpen(e, &r);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(r.architecture, "capsfusion-copy");
  EXPECT_EQ(*f->GetString("general.architecture"), "capsfusion-copy");
  EXPECT_EQ(*f->GetString("general.name"), "copy");
  EXPECT_EQ(*f->GetString("capsfusion.prompt_template"), kCompactTemplate);
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.embedding_length"), 64u);
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.block_count"), 2u);
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.attention.head_count_kv"), 4u);
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.rope.dimension_count"), 16u);
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.copy.key_length"), 64u);
  EXPECT_EQ(*f->GetUint32("capsfusion.training.step"), 4u);
  EXPECT_EQ(f->FindTensor("output.weight"), nullptr);  // tied

  auto vocab = Vocab::Load(e.run_dir + "/tokenizer.model");
  ASSERT_TRUE(vocab.ok());
  EXPECT_EQ(*f->GetUint32("capsfusion-copy.copy.end_token_id"), static_cast<uint32_t>((*vocab)->PieceId("<fus>")));
  // The engine's tokenizer, built from the file, encodes as the trainer did.
  auto tok = LoadLlamaTokenizer(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  for (std::string s : {"<raw> Zorvex Marbeck lamp 42<syn> a red lamp<fus>", "The Ünï lamp."}) {
    EXPECT_EQ((*tok)->Encode(s, true), (*vocab)->Encode(s, true)) << s;
  }

  auto w = Weights(e.run_dir, "last.pt");
  EXPECT_EQ(f->tensors().size(), w.size());
  uint64_t n = 0;
  for (const auto& [name, t] : w) {
    const gguf::TensorInfo* info = f->FindTensor(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->type, gguf::TensorType::kF32) << name;
    if (t.dim() == 2 && t.size(0) > 1) {
      EXPECT_EQ(info->shape, (std::vector<uint64_t>{uint64_t(t.size(1)), uint64_t(t.size(0))})) << name;
    }
    EXPECT_TRUE(torch::equal(Read(*info), t.reshape({-1}))) << name;
    n += t.numel();
  }
  EXPECT_EQ(r.n_params, n);
}

TEST_F(ExportTest, Q8ZeroQuantizesMatricesOnly) {
  ExportOptions e;
  e.run_dir = dir_->File("copy");
  e.checkpoint = "best";
  e.output = dir_->File("copy-q8.gguf");
  e.type = "q8_0";
  auto f = ExportAndOpen(e);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetUint32("general.file_type"), 7u);
  auto w = Weights(e.run_dir, "best.pt");
  for (const auto& [name, t] : w) {
    const gguf::TensorInfo* info = f->FindTensor(name);
    ASSERT_NE(info, nullptr);
    bool matrix = t.dim() == 2 && t.size(0) > 1;
    EXPECT_EQ(info->type, matrix ? gguf::TensorType::kQ8_0 : gguf::TensorType::kF32) << name;
    // Q8_0 error: half a step of the block scale (amax / 127), plus the scale's own f16 rounding.
    double bound = matrix ? t.abs().max().item<double>() / 127.0 * 0.6 : 0.0;
    EXPECT_LE((Read(*info) - t.reshape({-1})).abs().max().item<double>(), bound + 1e-7) << name;
  }
}

TEST_F(ExportTest, PlainModelIsLlama) {
  ExportOptions e;
  e.run_dir = dir_->File("plain");
  e.output = dir_->File("plain.gguf");
  auto f = ExportAndOpen(e);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(*f->GetUint32("llama.feed_forward_length"), 128u);
  EXPECT_EQ(f->FindTensor("copy.query.weight"), nullptr);
  EXPECT_FALSE(f->Has("llama.copy.key_length"));
  EXPECT_FALSE(f->Has("capsfusion.decoding.num_beams"));
  EXPECT_FALSE(f->Has("capsfusion.decoding.length_penalty"));
  EXPECT_FALSE(f->Has("capsfusion.decoding.span_bonus"));
  EXPECT_FALSE(f->Has("capsfusion.decoding.span_min_match"));
}

TEST_F(ExportTest, TunedDecodingIsStoredForFuse) {
  ExportOptions e;
  e.run_dir = dir_->File("plain");
  e.output = dir_->File("tuned.gguf");
  e.length_penalty = 2.5f;
  e.span_bonus = 2.0f;
  e.span_min_match = 3;
  auto f = ExportAndOpen(e);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetFloat32("capsfusion.decoding.length_penalty"), 2.5f);
  EXPECT_EQ(*f->GetFloat32("capsfusion.decoding.span_bonus"), 2.0f);
  EXPECT_EQ(*f->GetUint32("capsfusion.decoding.span_min_match"), 3u);
  e.output = dir_->File("bad.gguf");
  e.span_bonus = -1.0f;
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kInvalidArgument);
  e.span_bonus = 2.0f;
  e.span_min_match = 40;
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kInvalidArgument);
  e.span_min_match = 3;
  e.length_penalty = NAN;
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kInvalidArgument);
}

TEST_F(ExportTest, NumBeamsIsStoredForFuse) {
  ExportOptions e;
  e.run_dir = dir_->File("plain");
  e.output = dir_->File("beams.gguf");
  e.num_beams = 5;
  auto f = ExportAndOpen(e);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->GetUint32("capsfusion.decoding.num_beams"), 5u);
  e.num_beams = 65;
  e.output = dir_->File("too-wide.gguf");
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kInvalidArgument);
}

TEST_F(ExportTest, CopyGateShiftMovesOnlyTheGateBias) {
  ExportOptions e;
  e.run_dir = dir_->File("copy");
  e.checkpoint = "last";
  e.output = dir_->File("shifted.gguf");
  e.copy_gate_shift = -1.5f;
  auto f = ExportAndOpen(e);
  ASSERT_NE(f, nullptr);
  auto w = Weights(e.run_dir, "last.pt");
  for (const auto& [name, t] : w) {
    auto got = Read(*f->FindTensor(name));
    auto want = name == "copy.gate.bias" ? t.reshape({-1}) - 1.5f : t.reshape({-1});
    EXPECT_TRUE(torch::allclose(got, want, 0, 1e-6)) << name;
  }
  e.run_dir = dir_->File("plain");
  e.output = dir_->File("plain-shifted.gguf");
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kInvalidArgument);
}

TEST_F(ExportTest, AveragingTakesTheNewestStepCheckpoints) {
  ExportOptions e;
  e.run_dir = dir_->File("copy");
  e.output = dir_->File("avg.gguf");
  e.average_last = 2;
  ExportReport r;
  auto f = ExportAndOpen(e, &r);
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(r.averaged.size(), 2u);
  EXPECT_NE(r.averaged[1].find("step-00000004.pt"), std::string::npos);
  auto a = Weights(e.run_dir, "step-00000003.pt"), b = Weights(e.run_dir, "step-00000004.pt");
  for (const auto& [name, t] : a) {
    auto want = ((t + b[name]) / 2).reshape({-1});
    EXPECT_TRUE(torch::allclose(Read(*f->FindTensor(name)), want, 1e-6, 1e-7)) << name;
  }
}

TEST_F(ExportTest, BadRequestsAreStatuses) {
  ExportOptions e;
  e.run_dir = dir_->File("none");
  e.output = dir_->File("x.gguf");
  EXPECT_EQ(Export(e, nullptr).code(), Status::Code::kNotFound);
  e.run_dir = dir_->File("copy");
  e.type = "q4_k";
  EXPECT_FALSE(Export(e, nullptr).ok());
  e.type = "f32";
  e.checkpoint = dir_->File("copy/checkpoints/none.pt");
  EXPECT_FALSE(Export(e, nullptr).ok());
  e.checkpoint = "last";
  e.output = dir_->File("no/such/dir/x.gguf");
  EXPECT_FALSE(Export(e, nullptr).ok());
}

}  // namespace
}  // namespace capsfusion::train
