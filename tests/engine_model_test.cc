// The public engine API on tiny random LLaMA models written with GgufWriter:
// loading and ModelInfo, batched decoding equal to one-at-a-time decoding,
// prefix reuse, the decoding options, and hostile model files.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/engine.h"
#include "engine/model_loader.h"
#include "engine/random_llama.h"
#include "test_util.h"
#include "util/sha256.h"

namespace capsfusion {
namespace {

using engine::GgufSpec;
using engine::MakeRandomLlama;
using engine::RandomLlamaConfig;
using gguf::TensorType;
using gguf::Value;

std::unique_ptr<Model> LoadSpec(const testing::TempDir& dir, const GgufSpec& spec, ModelOptions mo = {},
                                const std::string& name = "m.gguf") {
  const std::string path = dir.File(name);
  Status s = spec.Write(path);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (mo.threads == 0) mo.threads = 2;
  auto m = Model::Load(path, mo);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

std::vector<std::string> TextPrompts() {
  const std::string head = "Sentence 1: a photo of";
  return {head + " a dog", head + " two cats sitting on the red sofa", head, "New image", head + " 12",
          "a", head + " the big white man with a small black dog", head + " a woman"};
}

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RandomLlamaConfig cfg;
    cfg.seed = 7;
    model_ = LoadSpec(dir_, MakeRandomLlama(cfg));
    ASSERT_NE(model_, nullptr);
  }
  testing::TempDir dir_;
  std::unique_ptr<Model> model_;
};

TEST_F(ModelTest, InfoDescribesTheFile) {
  const ModelInfo& info = model_->info();
  EXPECT_EQ(info.architecture, "llama");
  EXPECT_EQ(info.name, "random-llama");
  EXPECT_EQ(info.n_embd, 64u);
  EXPECT_EQ(info.n_layer, 2u);
  EXPECT_EQ(info.n_head, 4u);
  EXPECT_EQ(info.n_head_kv, 2u);
  EXPECT_EQ(info.n_ff, 160u);
  EXPECT_EQ(info.n_ctx, 256u);
  EXPECT_EQ(info.n_vocab, model_->tokenizer().vocab_size());
  EXPECT_EQ(info.weight_type, "F32");
  const uint64_t per_layer = 2 * 64 + 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 160;
  EXPECT_EQ(info.n_params, 2 * per_layer + 64 + 2 * 64ull * info.n_vocab);
  auto sha = Sha256FileHex(dir_.File("m.gguf"));
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(info.file_sha256, *sha);
  EXPECT_EQ(model_->tokenizer().eos_id(), 2);
  EXPECT_EQ(info.recommended_num_beams, 0);  // the file recommends no beam width
}

TEST(ModelLoadTest, RecommendedBeamWidthComesFromTheMetadata) {
  testing::TempDir dir;
  GgufSpec spec = MakeRandomLlama(RandomLlamaConfig());
  spec.Set("capsfusion.decoding.num_beams", Value::Uint32(5));
  auto m = LoadSpec(dir, spec);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->info().recommended_num_beams, 5);
  // Beam search returns the other beams when asked.
  GenerateOptions o;
  o.max_new_tokens = 6;
  o.num_beams = 5;
  o.num_return_sequences = 3;
  auto out = m->Generate(TextPrompts(), o);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  for (const Generation& g : *out) {
    EXPECT_LE(g.alternatives.size(), 2u);
    for (const Generation& a : g.alternatives) EXPECT_TRUE(a.finish_reason == "stop" || a.finish_reason == "length");
  }
  o.num_return_sequences = 6;
  EXPECT_EQ(m->Generate(TextPrompts(), o).status().code(), Status::Code::kInvalidArgument);
}

TEST(ModelLoadTest, TunedDecodingComesFromTheMetadata) {
  testing::TempDir dir;
  GgufSpec spec = MakeRandomLlama(RandomLlamaConfig());
  auto plain = LoadSpec(dir, spec);
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->info().recommended_length_penalty.has_value());
  EXPECT_FALSE(plain->info().recommended_span_bonus.has_value());
  EXPECT_EQ(plain->info().recommended_span_min_match, 0);
  spec.Set("capsfusion.decoding.length_penalty", Value::Float32(2.5f));
  spec.Set("capsfusion.decoding.span_bonus", Value::Float32(2.0f));
  spec.Set("capsfusion.decoding.span_min_match", Value::Uint32(3));
  auto m = LoadSpec(dir, spec);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->info().recommended_length_penalty, 2.5f);
  EXPECT_EQ(m->info().recommended_span_bonus, 2.0f);
  EXPECT_EQ(m->info().recommended_span_min_match, 3);
  // Decoding with span continuation, greedy and beam.
  GenerateOptions o;
  o.max_new_tokens = 6;
  o.span_bonus = 2.0f;
  o.span_min_match = 1;
  ASSERT_TRUE(m->Generate(TextPrompts(), o).ok());
  o.num_beams = 3;
  ASSERT_TRUE(m->Generate(TextPrompts(), o).ok());
  o.span_bonus = -1.0f;
  EXPECT_EQ(m->Generate(TextPrompts(), o).status().code(), Status::Code::kInvalidArgument);
  o.span_bonus = 1.0f;
  o.span_min_match = 0;
  EXPECT_EQ(m->Generate(TextPrompts(), o).status().code(), Status::Code::kInvalidArgument);
}

// The width can be read before loading (fuse sizes the engine's batch with it).
TEST(ModelLoadTest, RecommendedBeamWidthCanBePeekedAtFromTheHeader) {
  testing::TempDir dir;
  GgufSpec spec = MakeRandomLlama(RandomLlamaConfig());
  ASSERT_TRUE(spec.Write(dir.File("none.gguf")).ok());
  spec.Set("capsfusion.decoding.num_beams", Value::Uint32(8));
  ASSERT_TRUE(spec.Write(dir.File("eight.gguf")).ok());
  spec.Set("capsfusion.decoding.num_beams", Value::String("five"));
  ASSERT_TRUE(spec.Write(dir.File("bad.gguf")).ok());
  testing::WriteFile(dir.File("junk.gguf"), "not a model");
  EXPECT_EQ(engine::PeekRecommendedBeams(dir.File("eight.gguf")), 8);
  EXPECT_EQ(engine::PeekRecommendedBeams(dir.File("none.gguf")), 0);
  EXPECT_EQ(engine::PeekRecommendedBeams(dir.File("bad.gguf")), 0);
  EXPECT_EQ(engine::PeekRecommendedBeams(dir.File("junk.gguf")), 0);
  EXPECT_EQ(engine::PeekRecommendedBeams(dir.File("missing.gguf")), 0);
}

TEST_F(ModelTest, GreedyBatchedEqualsOneAtATime) {
  GenerateOptions o;
  o.max_new_tokens = 24;
  auto batched = model_->Generate(TextPrompts(), o);
  ASSERT_TRUE(batched.ok()) << batched.status().ToString();
  // A second model instance with a tiny max_batch (continuous batching), then one prompt per call.
  ModelOptions mo;
  mo.max_batch = 3;
  auto small = Model::Load(dir_.File("m.gguf"), mo);
  ASSERT_TRUE(small.ok());
  auto waves = (*small)->Generate(TextPrompts(), o);
  ASSERT_TRUE(waves.ok());
  const auto prompts = TextPrompts();
  for (size_t i = 0; i < prompts.size(); ++i) {
    o.share_prefix = false;
    auto one = model_->Generate({prompts[i]}, o);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*one)[0].tokens, (*batched)[i].tokens) << i;
    EXPECT_EQ((*one)[0].text, (*batched)[i].text) << i;
    EXPECT_NEAR((*one)[0].logprob, (*batched)[i].logprob, 1e-9) << i;
    EXPECT_EQ((*waves)[i].tokens, (*batched)[i].tokens) << i;
    EXPECT_EQ((*batched)[i].prompt_tokens, model_->tokenizer().CountTokens(prompts[i], true));
    EXPECT_EQ((*batched)[i].finish_reason, (*batched)[i].tokens.size() == 24 ? "length" : "stop");
    EXPECT_LE((*batched)[i].logprob, 0);
  }
}

TEST_F(ModelTest, PrefixReuseGivesIdenticalOutputs) {
  GenerateOptions o;
  o.max_new_tokens = 16;
  o.share_prefix = false;
  const auto prompts = TextPrompts();
  std::vector<std::string> same_head;
  for (const auto& p : prompts) {
    if (p.rfind("Sentence 1: a photo of ", 0) == 0) same_head.push_back(p);
  }
  auto plain = model_->Generate(same_head, o);
  ASSERT_TRUE(plain.ok());
  o.share_prefix = true;
  for (int call = 0; call < 3; ++call) {  // the 2nd and 3rd calls reuse the cached prefix
    auto shared = model_->Generate(same_head, o);
    ASSERT_TRUE(shared.ok());
    for (size_t i = 0; i < same_head.size(); ++i) EXPECT_EQ((*shared)[i].tokens, (*plain)[i].tokens) << i;
  }
  for (size_t i = 0; i < same_head.size(); ++i) {  // single prompts reuse the previous one's prefix
    auto one = model_->Generate({same_head[i]}, o);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*one)[0].tokens, (*plain)[i].tokens) << i;
  }
}

TEST_F(ModelTest, BeamSearch) {
  GenerateOptions greedy;
  greedy.max_new_tokens = 12;
  GenerateOptions one_beam = greedy;
  one_beam.num_beams = 1;
  auto g = model_->Generate(TextPrompts(), greedy);
  auto b1 = model_->Generate(TextPrompts(), one_beam);
  ASSERT_TRUE(g.ok() && b1.ok());
  for (size_t i = 0; i < g->size(); ++i) EXPECT_EQ((*g)[i].tokens, (*b1)[i].tokens);

  GenerateOptions beams = greedy;
  beams.num_beams = 3;  // the paper's setting
  auto all = model_->Generate(TextPrompts(), beams);
  ASSERT_TRUE(all.ok());
  const auto prompts = TextPrompts();
  int better_or_equal = 0;
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto one = model_->Generate({prompts[i]}, beams);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ((*one)[0].tokens, (*all)[i].tokens) << i;
    // Beam search finds a sequence at least as likely (per token) as greedy's, most of the time.
    const double lb = (*all)[i].logprob / std::max<size_t>(1, (*all)[i].tokens.size() + 1);
    const double lg = (*g)[i].logprob / std::max<size_t>(1, (*g)[i].tokens.size() + 1);
    better_or_equal += lb >= lg - 1e-9;
  }
  EXPECT_GE(better_or_equal, static_cast<int>(prompts.size()) / 2);
}

TEST_F(ModelTest, SamplingSeedsStopsAndLengths) {
  GenerateOptions o;
  o.max_new_tokens = 20;
  o.temperature = 1.0f;
  o.seed = 5;
  auto a = model_->Generate(TextPrompts(), o);
  auto b = model_->Generate(TextPrompts(), o);
  o.seed = 6;
  auto c = model_->Generate(TextPrompts(), o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  int differ = 0;
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].tokens, (*b)[i].tokens);
    differ += (*a)[i].tokens != (*c)[i].tokens;
  }
  EXPECT_GE(differ, 4);

  GenerateOptions greedy;
  greedy.max_new_tokens = 20;
  auto g = model_->Generate(TextPrompts(), greedy);
  o.top_k = 1;
  auto k1 = model_->Generate(TextPrompts(), o);
  ASSERT_TRUE(g.ok() && k1.ok());
  for (size_t i = 0; i < g->size(); ++i) EXPECT_EQ((*k1)[i].tokens, (*g)[i].tokens);

  // A stop string taken from the middle of a greedy output cuts it there.
  std::string text;
  size_t which = 0;
  for (; which < g->size(); ++which) {
    if ((*g)[which].text.size() >= 8) break;
  }
  ASSERT_LT(which, g->size()) << "no output long enough";
  text = (*g)[which].text;
  greedy.stop = {text.substr(4, 3)};
  auto s = model_->Generate(TextPrompts(), greedy);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[which].text, text.substr(0, text.find(greedy.stop[0])));
  EXPECT_EQ((*s)[which].finish_reason, "stop");

  greedy.stop.clear();
  greedy.max_new_tokens = 2;
  auto shortr = model_->Generate(TextPrompts(), greedy);
  ASSERT_TRUE(shortr.ok());
  for (const auto& r : *shortr) {
    EXPECT_LE(r.tokens.size(), 2u);
    if (r.tokens.size() == 2) {
      EXPECT_EQ(r.finish_reason, "length");
    }
  }
}

TEST(ModelQuantizedTest, BatchedEqualsSingleForEveryType) {
  for (TensorType t : {TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0}) {
    testing::TempDir dir;
    RandomLlamaConfig cfg;
    cfg.type = t;
    cfg.seed = 11;
    auto m = LoadSpec(dir, MakeRandomLlama(cfg));
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->info().weight_type, gguf::TensorTypeName(t));
    GenerateOptions o;
    o.max_new_tokens = 10;
    const auto prompts = TextPrompts();
    auto all = m->Generate(prompts, o);
    ASSERT_TRUE(all.ok());
    for (size_t i = 0; i < prompts.size(); i += 3) {
      o.share_prefix = false;
      auto one = m->Generate({prompts[i]}, o);
      ASSERT_TRUE(one.ok());
      EXPECT_EQ((*one)[0].tokens, (*all)[i].tokens) << gguf::TensorTypeName(t) << " prompt " << i;
    }
  }
}

TEST(ModelLoadTest, HashCanBeSkippedAndContextOverridden) {
  testing::TempDir dir;
  ModelOptions mo;
  mo.hash_file = false;
  mo.context_length = 40;
  auto m = LoadSpec(dir, MakeRandomLlama(RandomLlamaConfig()), mo);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(m->info().file_sha256.empty());
  EXPECT_EQ(m->info().n_ctx, 40u);
  GenerateOptions o;
  o.max_new_tokens = 100;
  auto out = m->Generate({"a photo of a dog"}, o);
  ASSERT_TRUE(out.ok());
  EXPECT_LE((*out)[0].tokens.size() + (*out)[0].prompt_tokens, 41u);
  std::string long_prompt;
  for (int i = 0; i < 50; ++i) long_prompt += " the";
  EXPECT_EQ(m->Generate({long_prompt}, o).status().code(), Status::Code::kOutOfRange);
}

// --- Hostile files ----------------------------------------------------------

struct Hostile {
  const char* what;
  std::function<void(GgufSpec*)> edit;
  Status::Code code;
  const char* message_part;  // the key or tensor the error must name
};

TEST(ModelLoadTest, HostileFilesGiveErrorsNamingTheFault) {
  const std::vector<Hostile> cases = {
      {"missing tensor", [](GgufSpec* s) { s->RemoveTensor("blk.1.ffn_up.weight"); }, Status::Code::kNotFound,
       "blk.1.ffn_up.weight' (expected shape {64, 160})"},
      {"wrong shape", [](GgufSpec* s) { s->ReplaceTensorF32("blk.0.attn_k.weight", {64, 64}, 3); },
       Status::Code::kInvalidArgument, "'blk.0.attn_k.weight' has shape {64, 64}, expected {64, 32}"},
      {"transposed", [](GgufSpec* s) { s->ReplaceTensorF32("blk.0.ffn_down.weight", {64, 160}, 3); },
       Status::Code::kInvalidArgument, "blk.0.ffn_down.weight"},
      {"1-D matrix", [](GgufSpec* s) { s->ReplaceTensorF32("output.weight", {64}, 3); },
       Status::Code::kInvalidArgument, "output.weight"},
      {"wrong architecture", [](GgufSpec* s) { s->Set("general.architecture", Value::String("gpt2")); },
       Status::Code::kNotSupported, "gpt2"},
      {"no architecture", [](GgufSpec* s) { s->Remove("general.architecture"); }, Status::Code::kNotFound,
       "general.architecture"},
      {"architecture not a string", [](GgufSpec* s) { s->Set("general.architecture", Value::Uint32(1)); },
       Status::Code::kInvalidArgument, "general.architecture"},
      {"n_head does not divide n_embd",
       [](GgufSpec* s) {
         s->Set("llama.attention.head_count", Value::Uint32(5));
         s->Set("llama.attention.head_count_kv", Value::Uint32(5));
       },
       Status::Code::kInvalidArgument, "llama.attention.head_count = 5 does not divide llama.embedding_length"},
      {"n_head_kv does not divide n_head", [](GgufSpec* s) { s->Set("llama.attention.head_count_kv", Value::Uint32(3)); },
       Status::Code::kInvalidArgument, "head_count_kv = 3"},
      {"absurd block_count", [](GgufSpec* s) { s->Set("llama.block_count", Value::Uint64(4000000000ull)); },
       Status::Code::kOutOfRange, "llama.block_count"},
      {"zero embedding", [](GgufSpec* s) { s->Set("llama.embedding_length", Value::Uint32(0)); },
       Status::Code::kOutOfRange, "llama.embedding_length"},
      {"huge feed forward", [](GgufSpec* s) { s->Set("llama.feed_forward_length", Value::Uint32(1u << 30)); },
       Status::Code::kOutOfRange, "llama.feed_forward_length"},
      {"huge context", [](GgufSpec* s) { s->Set("llama.context_length", Value::Uint64(~0ull)); },
       Status::Code::kOutOfRange, "llama.context_length"},
      {"negative epsilon",
       [](GgufSpec* s) { s->Set("llama.attention.layer_norm_rms_epsilon", Value::Float32(-1e-5f)); },
       Status::Code::kOutOfRange, "layer_norm_rms_epsilon"},
      {"NaN rope base", [](GgufSpec* s) { s->Set("llama.rope.freq_base", Value::Float32(NAN)); },
       Status::Code::kOutOfRange, "llama.rope.freq_base"},
      {"odd rope dims", [](GgufSpec* s) { s->Set("llama.rope.dimension_count", Value::Uint32(7)); },
       Status::Code::kInvalidArgument, "rope.dimension_count"},
      {"rope dims above head size", [](GgufSpec* s) { s->Set("llama.rope.dimension_count", Value::Uint32(64)); },
       Status::Code::kOutOfRange, "rope.dimension_count"},
      {"missing key", [](GgufSpec* s) { s->Remove("llama.block_count"); }, Status::Code::kNotFound,
       "llama.block_count"},
      {"key of the wrong type", [](GgufSpec* s) { s->Set("llama.block_count", Value::String("two")); },
       Status::Code::kInvalidArgument, "llama.block_count"},
      {"zero recommended beams", [](GgufSpec* s) { s->Set("capsfusion.decoding.num_beams", Value::Uint32(0)); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.num_beams"},
      {"recommended beams as text",
       [](GgufSpec* s) { s->Set("capsfusion.decoding.num_beams", Value::String("five")); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.num_beams"},
      {"span bonus as text", [](GgufSpec* s) { s->Set("capsfusion.decoding.span_bonus", Value::String("2")); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.span_bonus"},
      {"negative span bonus", [](GgufSpec* s) { s->Set("capsfusion.decoding.span_bonus", Value::Float32(-1)); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.span_bonus"},
      {"zero span match", [](GgufSpec* s) { s->Set("capsfusion.decoding.span_min_match", Value::Uint32(0)); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.span_min_match"},
      {"NaN length penalty",
       [](GgufSpec* s) { s->Set("capsfusion.decoding.length_penalty", Value::Float32(NAN)); },
       Status::Code::kInvalidArgument, "capsfusion.decoding.length_penalty"},
      {"more layers than tensors", [](GgufSpec* s) { s->Set("llama.block_count", Value::Uint32(3)); },
       Status::Code::kNotFound, "blk.2.attn_norm.weight"},
      {"norm not F32",
       [](GgufSpec* s) {
         auto* t = s->FindTensor("blk.0.ffn_norm.weight");
         t->type = TensorType::kF16;
         t->bytes.resize(t->bytes.size() / 2);
       },
       Status::Code::kNotSupported, "blk.0.ffn_norm.weight"},
      {"vocab_size disagrees", [](GgufSpec* s) { s->Set("llama.vocab_size", Value::Uint32(1000)); },
       Status::Code::kInvalidArgument, "llama.vocab_size"},
      {"rope scaling", [](GgufSpec* s) { s->Set("llama.rope.scaling.type", Value::String("linear")); },
       Status::Code::kNotSupported, "rope.scaling"},
      {"mixture of experts", [](GgufSpec* s) { s->Set("llama.expert_count", Value::Uint32(8)); },
       Status::Code::kNotSupported, "expert_count"},
      {"no tokenizer", [](GgufSpec* s) { s->Remove("tokenizer.ggml.tokens"); }, Status::Code::kNotFound,
       "tokenizer"},
      {"tokenizer larger than the embedding",
       [](GgufSpec* s) {
         auto v = engine::SimpleVocab(400);
         s->Set("tokenizer.ggml.tokens", Value::StringArray(v.tokens));
         s->Set("tokenizer.ggml.scores", Value::Float32Array(v.scores));
         s->Set("tokenizer.ggml.token_type", Value::Int32Array(v.token_types));
       },
       Status::Code::kInvalidArgument, "token_embd.weight"},
      {"no embedding", [](GgufSpec* s) { s->RemoveTensor("token_embd.weight"); }, Status::Code::kNotFound,
       "token_embd.weight"},
  };
  for (const Hostile& h : cases) {
    testing::TempDir dir;
    GgufSpec spec = MakeRandomLlama(RandomLlamaConfig());
    h.edit(&spec);
    const std::string path = dir.File("bad.gguf");
    Status w = spec.Write(path);
    ASSERT_TRUE(w.ok()) << h.what << ": " << w.ToString();
    auto m = Model::Load(path, {});
    ASSERT_FALSE(m.ok()) << h.what;
    EXPECT_EQ(m.status().code(), h.code) << h.what << ": " << m.status().ToString();
    EXPECT_NE(m.status().message().find(h.message_part), std::string::npos)
        << h.what << ": " << m.status().ToString();
  }
}

TEST(ModelLoadTest, DamagedFilesGiveErrors) {
  testing::TempDir dir;
  auto bytes = MakeRandomLlama(RandomLlamaConfig()).WriteToString();
  ASSERT_TRUE(bytes.ok());
  // Truncated at many points, and random garbage.
  for (size_t cut : {size_t{0}, size_t{3}, size_t{100}, bytes->size() / 2, bytes->size() - 1}) {
    testing::WriteFile(dir.File("cut.gguf"), bytes->substr(0, cut));
    auto m = Model::Load(dir.File("cut.gguf"), {});
    EXPECT_FALSE(m.ok()) << "cut at " << cut;
  }
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 2654435761u) >> 13);
  testing::WriteFile(dir.File("garbage.gguf"), "GGUF" + garbage);
  EXPECT_FALSE(Model::Load(dir.File("garbage.gguf"), {}).ok());
  auto missing = Model::Load(dir.File("nope.gguf"), {});
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.gguf"), std::string::npos);
}

}  // namespace
}  // namespace capsfusion
