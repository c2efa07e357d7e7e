// Reads files built byte by byte from the GGUF spec, and checks the writer emits the same bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "gguf/gguf.h"
#include "gguf_test_bytes.h"

namespace capsfusion::gguf {
namespace {

using testing::Bytes;

float F32At(const uint8_t* p, size_t i) {
  float f;
  std::memcpy(&f, p + 4 * i, 4);
  return f;
}

// Two tensors, three KVs, default alignment; the last tensor ends exactly at the end of the file.
std::string SpecFile() {
  Bytes f;
  f.Header(/*n_tensors=*/2, /*n_kv=*/3);
  f.KvStr("general.architecture", "llama");
  f.KvU32("llama.context_length", 2048);
  f.Str("tokenizer.ggml.scores").U32(9).U32(6).U64(3).F32(0.5f).F32(-1.0f).F32(2.0f);
  f.TensorInfo("token_embd.weight", {4, 2}, /*F32*/ 0, /*offset=*/0);
  f.TensorInfo("blk.0.attn_q.weight", {32, 1}, /*Q8_0*/ 8, /*offset=*/32);
  f.PadTo(32);
  for (int i = 0; i < 8; ++i) f.F32(static_cast<float>(i) * 0.25f);
  f.U16(0x3C00);  // Q8_0 block: d = 1.0
  for (int j = 0; j < 32; ++j) f.U8(static_cast<uint8_t>(j - 16));
  return f.b;
}

TEST(GgufSpecBytesTest, ReadsHandBuiltFile) {
  const std::string bytes = SpecFile();
  auto file = GgufFile::FromBytes(bytes);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const GgufFile& g = **file;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), 32u);
  EXPECT_EQ(g.data_offset() % 32, 0u);
  EXPECT_EQ(g.file_size(), bytes.size());
  ASSERT_EQ(g.keys().size(), 3u);
  EXPECT_EQ(g.keys()[0], "general.architecture");
  EXPECT_EQ(g.keys()[2], "tokenizer.ggml.scores");
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetUint32("llama.context_length"), 2048u);
  EXPECT_EQ(*g.GetFloat32Array("tokenizer.ggml.scores"), (std::vector<float>{0.5f, -1.0f, 2.0f}));

  ASSERT_EQ(g.tensors().size(), 2u);
  const TensorInfo* emb = g.FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->shape, (std::vector<uint64_t>{4, 2}));
  EXPECT_EQ(emb->type, TensorType::kF32);
  EXPECT_EQ(emb->offset, 0u);
  EXPECT_EQ(emb->n_elements, 8u);
  EXPECT_EQ(emb->n_bytes, 32u);
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(F32At(emb->data, i), static_cast<float>(i) * 0.25f);

  const TensorInfo& q = g.tensors()[1];
  EXPECT_EQ(q.name, "blk.0.attn_q.weight");
  EXPECT_EQ(q.type, TensorType::kQ8_0);
  EXPECT_EQ(q.n_bytes, 34u);
  EXPECT_EQ(q.offset, 32u);
  EXPECT_EQ(q.data - emb->data, 32);
  std::vector<float> y(32);
  DequantizeRow(q.type, q.data, y.data(), 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], static_cast<float>(j - 16));
  EXPECT_EQ(g.FindTensor("missing"), nullptr);
}

TEST(GgufSpecBytesTest, WriterEmitsTheSpecBytes) {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetUint32("llama.context_length", 2048);
  w.SetFloat32Array("tokenizer.ggml.scores", {0.5f, -1.0f, 2.0f});
  std::vector<float> emb(8);
  for (int i = 0; i < 8; ++i) emb[i] = static_cast<float>(i) * 0.25f;
  ASSERT_TRUE(w.AddTensor("token_embd.weight", TensorType::kF32, {4, 2}, emb.data(), 32).ok());
  std::string block;
  block += '\x00';
  block += '\x3C';
  for (int j = 0; j < 32; ++j) block.push_back(static_cast<char>(j - 16));
  ASSERT_TRUE(w.AddTensor("blk.0.attn_q.weight", TensorType::kQ8_0, {32, 1}, block.data(), 34).ok());
  std::string want = SpecFile();
  want.append(64 - 34, '\0');  // the writer pads the last tensor to the alignment too
  EXPECT_EQ(w.WriteToString(), want);
}

TEST(GgufSpecBytesTest, AlignmentKeyGapsAndVersion2) {
  Bytes f;
  f.Header(2, 1, /*version=*/2);
  f.KvU32("general.alignment", 64);
  f.TensorInfo("a", {3}, /*F16*/ 1, 0);
  f.TensorInfo("b", {1}, /*F32*/ 0, 128);  // a gap between tensors is allowed when aligned
  f.PadTo(64);
  const size_t data_start = f.b.size();
  f.U16(0x3C00).U16(0xC000).U16(0x0000);
  f.PadTo(64).Raw(std::string(64, '\0'));
  f.F32(3.5f);
  auto file = GgufFile::FromBytes(f.b);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->version(), 2u);
  EXPECT_EQ((*file)->alignment(), 64u);
  EXPECT_EQ((*file)->data_offset(), data_start);
  const TensorInfo* a = (*file)->FindTensor("a");
  std::vector<float> y(3);
  DequantizeRow(a->type, a->data, y.data(), 3);
  EXPECT_EQ(y, (std::vector<float>{1.0f, -2.0f, 0.0f}));
  EXPECT_EQ(F32At((*file)->FindTensor("b")->data, 0), 3.5f);
}

TEST(GgufSpecBytesTest, EveryScalarTypeByHand) {
  Bytes f;
  f.Header(0, 13);
  f.Str("u8").U32(0).U8(200);
  f.Str("i8").U32(1).U8(0x80);
  f.Str("u16").U32(2).U16(60000);
  f.Str("i16").U32(3).U16(0x8000);
  f.Str("u32").U32(4).U32(4000000000u);
  f.Str("i32").U32(5).U32(0xFFFFFFFFu);
  f.Str("f32").U32(6).F32(1.25f);
  f.Str("bool").U32(7).U8(1);
  f.Str("str").U32(8).Str("hi");
  f.Str("arr").U32(9).U32(3).U64(2).U16(0xFFFF).U16(7);  // ARRAY of INT16 {-1, 7}
  f.Str("u64").U32(10).U64(~uint64_t{0});
  f.Str("i64").U32(11).U64(uint64_t{1} << 63);
  f.Str("f64").U32(12).F64(-2.5);
  // No tensors: the file may end right after the KVs.
  auto file = GgufFile::FromBytes(f.b);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const GgufFile& g = **file;
  EXPECT_EQ(*g.GetUint32("u8"), 200u);
  EXPECT_EQ(*g.GetInt32("i8"), -128);
  EXPECT_EQ(*g.GetUint32("u16"), 60000u);
  EXPECT_EQ(*g.GetInt32("i16"), -32768);
  EXPECT_EQ(*g.GetUint32("u32"), 4000000000u);
  EXPECT_EQ(*g.GetInt32("i32"), -1);
  EXPECT_EQ(*g.GetFloat32("f32"), 1.25f);
  EXPECT_EQ(*g.GetBool("bool"), true);
  EXPECT_EQ(*g.GetString("str"), "hi");
  EXPECT_EQ(*g.GetInt32Array("arr"), (std::vector<int32_t>{-1, 7}));
  EXPECT_EQ(g.Find("arr")->element_type(), ValueType::kInt16);
  EXPECT_EQ(*g.GetUint64("u64"), ~uint64_t{0});
  EXPECT_EQ(*g.GetInt64("i64"), INT64_MIN);
  EXPECT_EQ(*g.GetFloat32("f64"), -2.5f);
  EXPECT_EQ(g.Find("i32")->type(), ValueType::kInt32);
}

}  // namespace
}  // namespace capsfusion::gguf

namespace capsfusion::gguf {
namespace {

// Float values keep their exact bits from file to Value to file (NaN payloads, signalling NaNs).
TEST(GgufSpecBytesTest, FloatBitsSurviveExactly) {
  Bytes f;
  f.Header(0, 4);
  f.Str("f32.snan").U32(6).U32(0x7F800001u);
  f.Str("f32.neg_zero").U32(6).U32(0x80000000u);
  f.Str("f64.snan").U32(12).U64(0x7FF0000000000001ull);
  f.Str("arr").U32(9).U32(6).U64(2).U32(0x7FA00000u).U32(0xFFFFFFFFu);
  f.PadTo(32);
  auto file = GgufFile::FromBytes(f.b);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  GgufWriter w;
  for (const std::string& key : (*file)->keys()) w.Set(key, *(*file)->Find(key));
  EXPECT_EQ(w.WriteToString(), f.b);
  std::string enc;
  (*file)->Find("f32.snan")->AppendEncoded(&enc);
  EXPECT_EQ(enc, std::string("\x01\x00\x80\x7f", 4));
}

}  // namespace
}  // namespace capsfusion::gguf
