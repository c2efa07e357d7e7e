// The LLaMA tokenizer through GGUF metadata: WriteLlamaVocab -> GgufWriter ->
// GgufFile -> LoadLlamaTokenizer, and the reader's checks.
#include <gtest/gtest.h>

#include "gguf/gguf.h"
#include "test_util.h"
#include "tokenizer/tokenizer_metadata.h"

namespace capsfusion {
namespace {

LlamaVocab SmallVocab() {
  LlamaVocab v;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.token_types.push_back(static_cast<int32_t>(type));
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) add(BytePieceText(static_cast<uint8_t>(b)), 0, TokenType::kByte);
  const char* pieces[] = {"\xE2\x96\x81", "a", "c", "t", "ca", "\xE2\x96\x81" "ca", "\xE2\x96\x81" "cat", "<img>"};
  float score = -1;
  for (const char* p : pieces) add(p, score--, TokenType::kNormal);
  v.token_types.back() = static_cast<int32_t>(TokenType::kUserDefined);
  add("<pad>", 0, TokenType::kControl);
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  v.pad_id = static_cast<int32_t>(v.size() - 1);
  v.add_eos = true;
  return v;
}

StatusOr<std::unique_ptr<gguf::GgufFile>> Reparse(const gguf::GgufWriter& w) {
  EXPECT_TRUE(w.status().ok()) << w.status().ToString();
  return gguf::GgufFile::FromBytes(w.WriteToString());
}

TEST(TokenizerMetadata, RoundTripsThroughAGgufFile) {
  const LlamaVocab vocab = SmallVocab();
  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  ASSERT_TRUE(WriteLlamaVocab(vocab, &w).ok());
  testing::TempDir dir;
  const std::string path = dir.File("tok.gguf");
  ASSERT_TRUE(w.WriteFile(path).ok());
  auto file = gguf::GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->GetString(kTokenizerModelKey).value(), "llama");
  auto tok = LoadLlamaTokenizer(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const LlamaVocab& got = (*tok)->vocab();
  EXPECT_EQ(got.tokens, vocab.tokens);
  EXPECT_EQ(got.scores, vocab.scores);
  EXPECT_EQ(got.token_types, vocab.token_types);
  EXPECT_EQ(got.bos_id, 1);
  EXPECT_EQ(got.eos_id, 2);
  EXPECT_EQ(got.unk_id, 0);
  EXPECT_EQ(got.pad_id, vocab.pad_id);
  EXPECT_TRUE(got.add_bos);
  EXPECT_TRUE(got.add_eos);
  EXPECT_TRUE(got.add_space_prefix);

  auto direct = LlamaTokenizer::Create(vocab);
  ASSERT_TRUE(direct.ok());
  for (const char* text : {"a cat", "<img> cat", "cat\xFF", ""}) {
    EXPECT_EQ((*tok)->Encode(text, true), (*direct)->Encode(text, true)) << text;
    EXPECT_EQ((*tok)->Decode((*tok)->Encode(text, true)), text);
  }
  const auto ids = (*tok)->EncodeForModel("cat");
  EXPECT_EQ(ids.front(), 1);
  EXPECT_EQ(ids.back(), 2);
}

TEST(TokenizerMetadata, DefaultsWhenOptionalKeysAreAbsent) {
  gguf::GgufWriter w;
  w.SetString(kTokenizerModelKey, "llama");
  w.SetStringArray(kTokenizerTokensKey, {"<unk>", "<s>", "</s>", "\xE2\x96\x81", "a"});
  auto file = Reparse(w);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto vocab = ReadLlamaVocab(**file);
  ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
  EXPECT_EQ(vocab->bos_id, 1);
  EXPECT_EQ(vocab->eos_id, 2);
  EXPECT_EQ(vocab->unk_id, 0);
  EXPECT_EQ(vocab->pad_id, -1);
  EXPECT_TRUE(vocab->add_bos);
  EXPECT_FALSE(vocab->add_eos);
  EXPECT_TRUE(vocab->add_space_prefix);
  EXPECT_TRUE(vocab->scores.empty());
  EXPECT_TRUE(vocab->token_types.empty());
  auto tok = LoadLlamaTokenizer(**file);
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ((*tok)->Decode((*tok)->Encode("a a", false)), "a a");
}

TEST(TokenizerMetadata, NoneIdsRoundTrip) {
  LlamaVocab vocab = SmallVocab();
  vocab.bos_id = -1;
  vocab.pad_id = -1;
  vocab.add_bos = false;
  vocab.add_space_prefix = false;
  gguf::GgufWriter w;
  ASSERT_TRUE(WriteLlamaVocab(vocab, &w).ok());
  auto file = Reparse(w);
  ASSERT_TRUE(file.ok());
  EXPECT_FALSE((*file)->Has(kTokenizerPadIdKey));
  auto got = ReadLlamaVocab(**file);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->bos_id, -1);
  EXPECT_EQ(got->pad_id, -1);
  EXPECT_FALSE(got->add_bos);
  EXPECT_FALSE(got->add_space_prefix);
  // -1 stored as a signed integer is "none" too.
  w.SetInt32(kTokenizerEosIdKey, -1);
  file = Reparse(w);
  ASSERT_TRUE(file.ok());
  got = ReadLlamaVocab(**file);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->eos_id, -1);
}

TEST(TokenizerMetadata, RejectsWhatItCannotUse) {
  auto expect_code = [](const gguf::GgufWriter& w, Status::Code code, const char* what) {
    auto file = Reparse(w);
    ASSERT_TRUE(file.ok()) << what << ": " << file.status().ToString();
    auto tok = LoadLlamaTokenizer(**file);
    ASSERT_FALSE(tok.ok()) << what;
    EXPECT_EQ(tok.status().code(), code) << what << ": " << tok.status().ToString();
  };
  gguf::GgufWriter good;
  ASSERT_TRUE(WriteLlamaVocab(SmallVocab(), &good).ok());

  gguf::GgufWriter w;
  w.SetString("general.architecture", "llama");
  expect_code(w, Status::Code::kNotFound, "no tokenizer at all");
  w = good;
  w.SetString(kTokenizerModelKey, "gpt2");
  expect_code(w, Status::Code::kNotSupported, "gpt2 BPE");
  w = good;
  w.SetFloat32Array(kTokenizerScoresKey, {1.0f, 2.0f});
  expect_code(w, Status::Code::kInvalidArgument, "short scores");
  w = good;
  w.SetInt32Array(kTokenizerTokenTypeKey, std::vector<int32_t>(SmallVocab().size(), 9));
  expect_code(w, Status::Code::kInvalidArgument, "type 9");
  w = good;
  w.SetUint32(kTokenizerBosIdKey, 100000);
  expect_code(w, Status::Code::kInvalidArgument, "BOS out of range");
  w = good;
  w.SetString(kTokenizerEosIdKey, "2");
  expect_code(w, Status::Code::kInvalidArgument, "EOS as a string");
  w = good;
  w.SetUint32(kTokenizerAddBosKey, 1);
  expect_code(w, Status::Code::kInvalidArgument, "add_bos_token as an integer");
  w = good;
  w.SetFloat32Array(kTokenizerTokensKey, {1.0f});
  expect_code(w, Status::Code::kInvalidArgument, "tokens as floats");

  LlamaVocab bad = SmallVocab();
  bad.scores.pop_back();
  gguf::GgufWriter untouched;
  EXPECT_FALSE(WriteLlamaVocab(bad, &untouched).ok());
  EXPECT_EQ(untouched.kv_count(), 0u);
}

}  // namespace
}  // namespace capsfusion
