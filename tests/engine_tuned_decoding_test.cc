// Storing tuned decoding settings in a model file: only those keys change.
#include "engine/tuned_decoding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "capsfusion/engine.h"
#include "engine/random_llama.h"
#include "gguf/gguf.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using gguf::GgufFile;

std::unique_ptr<GgufFile> OpenOrDie(const std::string& path) {
  auto f = GgufFile::Open(path);
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(*f) : nullptr;
}

//! Every key other than the decoding ones, and every tensor, are the same.
void ExpectSameModel(const GgufFile& a, const GgufFile& b) {
  std::vector<std::string> ka, kb;
  for (const auto& k : a.keys()) {
    if (k.rfind("capsfusion.decoding.", 0) != 0) ka.push_back(k);
  }
  for (const auto& k : b.keys()) {
    if (k.rfind("capsfusion.decoding.", 0) != 0) kb.push_back(k);
  }
  ASSERT_EQ(ka, kb);
  for (const auto& k : ka) EXPECT_EQ(a.Find(k)->DebugString(1000), b.Find(k)->DebugString(1000)) << k;
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const auto& x = a.tensors()[i];
    const auto& y = b.tensors()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.shape, y.shape);
    ASSERT_EQ(x.n_bytes, y.n_bytes);
    EXPECT_EQ(std::memcmp(x.data, y.data, x.n_bytes), 0) << x.name;
  }
}

//! Writes `in` with `t` stored as `out`, checks that nothing else changed, and
//! returns the written file (null on failure).
std::unique_ptr<GgufFile> WriteTunedCopy(const std::string& in, const std::string& out,
                                         const engine::TunedDecoding& t) {
  EXPECT_TRUE(engine::WriteWithTunedDecoding(in, out, t).ok());
  auto a = OpenOrDie(in);
  auto b = OpenOrDie(out);
  if (!a || !b) return nullptr;
  ExpectSameModel(*a, *b);
  return b;
}

TEST(TunedDecodingTest, StoresTheSettingsAndKeepsEverythingElse) {
  testing::TempDir dir;
  engine::GgufSpec spec = engine::MakeRandomLlama(engine::RandomLlamaConfig());
  spec.Set("capsfusion.decoding.num_beams", gguf::Value::Uint32(3));
  ASSERT_TRUE(spec.Write(dir.File("m.gguf")).ok());
  engine::TunedDecoding t;
  t.length_penalty = 2.5f;
  t.span_bonus = 2.0f;
  t.span_min_match = 3;
  auto b = WriteTunedCopy(dir.File("m.gguf"), dir.File("t.gguf"), t);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->GetUint32("capsfusion.decoding.num_beams"), 3u);  // unset: kept
  EXPECT_EQ(*b->GetFloat32("capsfusion.decoding.length_penalty"), 2.5f);
  EXPECT_EQ(*b->GetFloat32("capsfusion.decoding.span_bonus"), 2.0f);
  EXPECT_EQ(*b->GetUint32("capsfusion.decoding.span_min_match"), 3u);

  // In place, replacing a value where it stands.
  engine::TunedDecoding beams;
  beams.num_beams = 6;
  ASSERT_TRUE(engine::WriteWithTunedDecoding(dir.File("t.gguf"), dir.File("t.gguf"), beams).ok());
  auto a = OpenOrDie(dir.File("m.gguf"));
  auto c = OpenOrDie(dir.File("t.gguf"));
  ASSERT_TRUE(a && c);
  ExpectSameModel(*a, *c);
  EXPECT_EQ(*c->GetUint32("capsfusion.decoding.num_beams"), 6u);
  EXPECT_EQ(*c->GetFloat32("capsfusion.decoding.span_bonus"), 2.0f);
  EXPECT_EQ(c->keys(), b->keys());
}

TEST(TunedDecodingTest, TheLengthChoiceRoundTripsThroughTheLoader) {
  testing::TempDir dir;
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(dir.File("m.gguf")).ok());
  engine::TunedDecoding t;
  t.expected_length = std::array<float, 3>{11.5f, 0.6f, 0.5f};
  t.min_length_ratio = 0.7f;
  auto b = WriteTunedCopy(dir.File("m.gguf"), dir.File("t.gguf"), t);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->GetFloat32Array("capsfusion.decoding.expected_length"), (std::vector<float>{11.5f, 0.6f, 0.5f}));
  auto m = Model::Load(dir.File("t.gguf"), ModelOptions());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_TRUE((*m)->info().recommended_expected_length.has_value());
  EXPECT_EQ((*(*m)->info().recommended_expected_length)[0], 11.5f);
  EXPECT_EQ((*m)->info().recommended_min_length_ratio, 0.7f);
  auto plain = Model::Load(dir.File("m.gguf"), ModelOptions());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE((*plain)->info().recommended_expected_length.has_value());

  // A file whose values are out of range, or of the wrong shape, does not load.
  engine::GgufSpec spec = engine::MakeRandomLlama(engine::RandomLlamaConfig());
  spec.Set("capsfusion.decoding.expected_length", gguf::Value::Float32Array({1.0f, 2.0f}));
  ASSERT_TRUE(spec.Write(dir.File("two.gguf")).ok());
  auto two = Model::Load(dir.File("two.gguf"), ModelOptions());
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("expected_length"), std::string::npos) << two.status().ToString();
  spec.Set("capsfusion.decoding.expected_length", gguf::Value::Float32Array({1.0f, NAN, 0.5f}));
  ASSERT_TRUE(spec.Write(dir.File("nan.gguf")).ok());
  EXPECT_FALSE(Model::Load(dir.File("nan.gguf"), ModelOptions()).ok());
  spec.Set("capsfusion.decoding.expected_length", gguf::Value::Float32Array({1.0f, 0.5f, 0.5f}));
  spec.Set("capsfusion.decoding.min_length_ratio", gguf::Value::Float32(-1.0f));
  ASSERT_TRUE(spec.Write(dir.File("neg.gguf")).ok());
  EXPECT_FALSE(Model::Load(dir.File("neg.gguf"), ModelOptions()).ok());
}

TEST(TunedDecodingTest, TheBeamChoiceRoundTripsThroughTheLoader) {
  testing::TempDir dir;
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(dir.File("m.gguf")).ok());
  engine::TunedDecoding t;
  t.beam_choice = "consensus";
  t.consensus_source_weight = 0.75f;
  auto b = WriteTunedCopy(dir.File("m.gguf"), dir.File("t.gguf"), t);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b->GetString("capsfusion.decoding.beam_choice"), "consensus");
  auto m = Model::Load(dir.File("t.gguf"), ModelOptions());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->info().recommended_beam_choice, "consensus");
  EXPECT_EQ((*m)->info().recommended_consensus_source_weight, 0.75f);
  auto plain = Model::Load(dir.File("m.gguf"), ModelOptions());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ((*plain)->info().recommended_beam_choice, "");
  EXPECT_FALSE((*plain)->info().recommended_consensus_source_weight.has_value());

  // A file with an unknown choice, the wrong type or a weight out of range does not load.
  engine::GgufSpec spec = engine::MakeRandomLlama(engine::RandomLlamaConfig());
  spec.Set("capsfusion.decoding.beam_choice", gguf::Value::String("best"));
  ASSERT_TRUE(spec.Write(dir.File("best.gguf")).ok());
  auto best = Model::Load(dir.File("best.gguf"), ModelOptions());
  ASSERT_FALSE(best.ok());
  EXPECT_NE(best.status().message().find("beam_choice"), std::string::npos) << best.status().ToString();
  spec.Set("capsfusion.decoding.beam_choice", gguf::Value::Uint32(1));
  ASSERT_TRUE(spec.Write(dir.File("int.gguf")).ok());
  EXPECT_FALSE(Model::Load(dir.File("int.gguf"), ModelOptions()).ok());
  spec.Set("capsfusion.decoding.beam_choice", gguf::Value::String("model"));
  spec.Set("capsfusion.decoding.consensus_source_weight", gguf::Value::Float32(-2.0f));
  ASSERT_TRUE(spec.Write(dir.File("neg.gguf")).ok());
  EXPECT_FALSE(Model::Load(dir.File("neg.gguf"), ModelOptions()).ok());
  t = {};
  t.beam_choice = "mbr";
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
}

TEST(TunedDecodingTest, BadSettingsAndFilesAreStatuses) {
  testing::TempDir dir;
  ASSERT_TRUE(engine::MakeRandomLlama(engine::RandomLlamaConfig()).Write(dir.File("m.gguf")).ok());
  engine::TunedDecoding t;
  t.span_bonus = -1.0f;
  EXPECT_EQ(engine::WriteWithTunedDecoding(dir.File("m.gguf"), dir.File("o.gguf"), t).code(),
            Status::Code::kInvalidArgument);
  t = {};
  t.num_beams = 0;
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
  t = {};
  t.span_min_match = 33;
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
  t = {};
  t.min_length_ratio = 11.0f;
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
  t = {};
  t.expected_length = std::array<float, 3>{1.0f, 1e6f, 0.0f};
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
  t = {};
  t.length_penalty = NAN;
  EXPECT_EQ(engine::ValidateTunedDecoding(t).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir.File("o.gguf")));
  t = {};
  t.span_bonus = 1.0f;
  testing::WriteFile(dir.File("junk.gguf"), "not a model");
  Status junk = engine::WriteWithTunedDecoding(dir.File("junk.gguf"), dir.File("o.gguf"), t);
  EXPECT_FALSE(junk.ok());
  EXPECT_NE(junk.message().find("junk.gguf"), std::string::npos) << junk.ToString();
  Status missing = engine::WriteWithTunedDecoding(dir.File("none.gguf"), dir.File("o.gguf"), t);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("none.gguf"), std::string::npos) << missing.ToString();
}

}  // namespace
}  // namespace capsfusion
