// Reads a GGUF file whose header another implementation wrote (tests/fixtures/gguf/README.md).
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf.h"
#include "test_util.h"

namespace capsfusion::gguf {
namespace {

TEST(GgufExternalFileTest, ReadsHeaderWrittenElsewhere) {
  const std::string path = capsfusion::testing::SourceDir() + "/tests/fixtures/gguf/external_writer_align64.gguf";
  auto file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const GgufFile& g = **file;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 64u);
  EXPECT_EQ(g.data_offset(), 832u);
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetString("general.name"), "rewritten by hf");
  EXPECT_EQ(*g.GetUint32("llama.context_length"), 128u);
  EXPECT_FLOAT_EQ(*g.GetFloat32("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
  EXPECT_EQ(*g.GetStringArray("tokenizer.ggml.tokens"),
            (std::vector<std::string>{"<unk>", "<s>", "</s>", "\xe2\x96\x81hi"}));
  EXPECT_EQ(*g.GetFloat32Array("tokenizer.ggml.scores"), (std::vector<float>{0, 0, 0, -1.5f}));
  EXPECT_EQ(*g.GetInt32Array("tokenizer.ggml.token_type"), (std::vector<int32_t>{2, 3, 3, 1}));
  EXPECT_EQ(*g.GetBool("tokenizer.ggml.add_bos_token"), true);
  EXPECT_EQ(*g.GetUint64("u64"), uint64_t{1} << 40);
  EXPECT_EQ(*g.GetInt32("i8"), -5);
  EXPECT_EQ(g.Find("i8")->type(), ValueType::kInt8);
  EXPECT_EQ(*g.GetFloat32("f64"), 0.25f);
  EXPECT_EQ(*g.GetUint32("hf.extra"), 7u);

  struct Want {
    const char* name;
    TensorType type;
    uint64_t offset, n_bytes;
  };
  const Want want[] = {{"token_embd.weight", TensorType::kQ4_0, 0, 108},
                       {"blk.0.attn_q.weight", TensorType::kQ8_0, 128, 204},
                       {"output.weight", TensorType::kF16, 384, 384},
                       {"output_norm.weight", TensorType::kF32, 768, 20}};
  ASSERT_EQ(g.tensors().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const TensorInfo& t = g.tensors()[i];
    EXPECT_EQ(t.name, want[i].name);
    EXPECT_EQ(t.type, want[i].type);
    EXPECT_EQ(t.offset, want[i].offset);
    EXPECT_EQ(t.n_bytes, want[i].n_bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % 64, 0u) << t.name;
    // Every tensor holds x[i] = (i % 7) * 0.1 - 0.3, encoded in its type.
    std::vector<float> y(t.n_elements);
    const size_t row_bytes = *RowBytes(t.type, static_cast<int64_t>(t.shape[0]));
    for (uint64_t r = 0; r < t.n_elements / t.shape[0]; ++r) {
      DequantizeRow(t.type, t.data + r * row_bytes, y.data() + r * t.shape[0], static_cast<int64_t>(t.shape[0]));
    }
    const float tol = t.type == TensorType::kQ4_0 ? 0.05f : t.type == TensorType::kQ8_0 ? 0.003f : 1e-3f;
    for (uint64_t k = 0; k < t.n_elements; ++k) {
      ASSERT_NEAR(y[k], (k % 7) * 0.1f - 0.3f, tol) << t.name << " " << k;
    }
  }
}

}  // namespace
}  // namespace capsfusion::gguf
