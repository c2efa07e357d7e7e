// LlamaTokenizer against libsentencepiece: models trained here with the flags
// our trainer uses (kLlamaSpmTrainerFlags), compared id for id.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "gguf/gguf.h"
#include "spm_reference.h"
#include "test_util.h"
#include "tokenizer/llama_tokenizer.h"
#include "tokenizer/spm_model.h"
#include "tokenizer/spm_model_writer.h"
#include "tokenizer/tokenizer_metadata.h"

namespace capsfusion {
namespace {

using testing::CompareWithSentencePiece;
using testing::TrainSentencePiece;

// A small synthetic corpus with what captions hold: words, numbers, punctuation,
// accents, CJK, emoji, repeated spaces, tabs and newlines.
std::vector<std::string> SyntheticCorpus(size_t lines, uint32_t seed) {
  static const char* kWords[] = {
      "the", "a", "cat", "sits", "on", "red", "mat", "photo", "of", "woman", "man", "holding", "umbrella",
      "street", "city", "night", "2019", "4K", "HD", "iPhone", "T-shirt", "caf\xC3\xA9", "na\xC3\xAFve",
      "\xC3\xBC" "ber", "M\xC3\xBCnchen", "\xE4\xB8\xAD\xE6\x96\x87", "\xE6\x9D\xB1\xE4\xBA\xAC",
      "\xF0\x9F\x98\x80", "\xF0\x9F\x90\xB1", "&quot;", "(2)", "$19.99", "100%", "e-mail", "x86_64",
      "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", "\xCE\xB1\xCE\xB2\xCE\xB3", "img_0042.jpg"};
  static const char* kSeparators[] = {" ", " ", " ", " ", " ", ", ", "  ", "   ", "\t", "\n", ". ", " - "};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < lines; ++i) {
    std::string line;
    const size_t n = 1 + rng() % 12;
    if (rng() % 10 == 0) line += " ";  // leading whitespace
    for (size_t w = 0; w < n; ++w) {
      if (w > 0) line += kSeparators[rng() % (sizeof kSeparators / sizeof *kSeparators)];
      line += kWords[rng() % (sizeof kWords / sizeof *kWords)];
    }
    if (rng() % 10 == 0) line += "  ";  // trailing whitespace
    out.push_back(line);
  }
  return out;
}

// Texts beyond the training corpus: unseen characters (byte fallback), edges.
std::vector<std::string> ProbeTexts() {
  return {"",
          " ",
          "   ",
          "\n",
          "a",
          " a",
          "a ",
          "hello world",
          "The cat sits on the red mat.",
          "\xCE\xA9 \xF0\x9F\x8E\x89 \xE2\x82\xAC 12345678",  // Ω 🎉 € digits
          "<s> </s> <unk> <0x41>",
          "\xE2\x96\x81 already escaped",
          "tabs\tand\nnewlines\r\n",
          "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7"};  // ZWJ family
}

struct TrainedModel {
  sentencepiece::SentencePieceProcessor sp;
  std::unique_ptr<LlamaTokenizer> tok;
};

// Trains, loads into both tokenizers; fails the test on any error.
void Train(const std::vector<std::string>& corpus, const std::string& flags, TrainedModel* m) {
  std::string error;
  const std::string model = TrainSentencePiece(corpus, flags, &error);
  ASSERT_FALSE(model.empty()) << error;
  ASSERT_TRUE(m->sp.LoadFromSerializedProto(model).ok());
  auto vocab = LlamaVocabFromSentencePiece(model);
  ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
  auto tok = LlamaTokenizer::Create(std::move(*vocab));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  m->tok = std::move(*tok);
}

TEST(SpmCompat, VocabConversionMatchesProcessor) {
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(Train(SyntheticCorpus(1500, 1), "--vocab_size=400 --hard_vocab_limit=false", &m));
  const LlamaVocab& v = m.tok->vocab();
  ASSERT_EQ(v.size(), static_cast<size_t>(m.sp.GetPieceSize()));
  size_t bytes = 0;
  for (int id = 0; id < m.sp.GetPieceSize(); ++id) {
    EXPECT_EQ(v.tokens[id], m.sp.IdToPiece(id)) << id;
    EXPECT_EQ(v.scores[id], m.sp.GetScore(id)) << id;
    const TokenType t = v.type(id);
    EXPECT_EQ(t == TokenType::kControl, m.sp.IsControl(id)) << id;
    EXPECT_EQ(t == TokenType::kUnknown, m.sp.IsUnknown(id)) << id;
    EXPECT_EQ(t == TokenType::kByte, m.sp.IsByte(id)) << id;
    EXPECT_EQ(t == TokenType::kUnused, m.sp.IsUnused(id)) << id;
    bytes += t == TokenType::kByte;
  }
  EXPECT_EQ(bytes, 256u);
  EXPECT_EQ(v.unk_id, m.sp.unk_id());
  EXPECT_EQ(v.bos_id, m.sp.bos_id());
  EXPECT_EQ(v.eos_id, m.sp.eos_id());
  EXPECT_EQ(v.pad_id, m.sp.pad_id());
  EXPECT_TRUE(v.add_space_prefix);
  EXPECT_TRUE(m.tok->has_byte_fallback());
}

TEST(SpmCompat, SmallVocabMatchesSentencePiece) {
  const std::vector<std::string> corpus = SyntheticCorpus(3000, 7);
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(Train(corpus, "--vocab_size=450 --hard_vocab_limit=false", &m));
  std::vector<std::string> texts = SyntheticCorpus(2000, 99);  // different lines than training
  texts.insert(texts.end(), corpus.begin(), corpus.end());
  for (const auto& t : ProbeTexts()) texts.push_back(t);
  const auto a = CompareWithSentencePiece(m.sp, *m.tok, texts);
  EXPECT_EQ(a.ids_equal, a.texts) << a.Summary();
  // "▁" written as itself decodes as a space; every other text round-trips.
  EXPECT_EQ(a.round_trips, a.texts - 1) << a.Summary();
  EXPECT_EQ(a.decodes_equal, a.texts) << a.Summary();
}

// A vocabulary written back as a .model (the trainer's --init does this with a
// GGUF file's tokenizer) loads in libsentencepiece and encodes like the original.
TEST(SpmCompat, WrittenModelLoadsInSentencePieceAndEncodesTheSame) {
  const std::vector<std::string> corpus = SyntheticCorpus(2000, 5);
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(Train(corpus,
                                "--vocab_size=420 --hard_vocab_limit=false --user_defined_symbols=<raw>,<syn>,<fus>",
                                &m));
  auto bytes = SentencePieceModelBytes(m.tok->vocab());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto back = LlamaVocabFromSentencePiece(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const LlamaVocab& v = m.tok->vocab();
  EXPECT_EQ(back->tokens, v.tokens);
  EXPECT_EQ(back->scores, v.scores);
  EXPECT_EQ(back->token_types, v.token_types);
  EXPECT_EQ(back->unk_id, v.unk_id);
  EXPECT_EQ(back->bos_id, v.bos_id);
  EXPECT_EQ(back->eos_id, v.eos_id);
  EXPECT_EQ(back->pad_id, v.pad_id);
  EXPECT_EQ(back->add_space_prefix, v.add_space_prefix);

  sentencepiece::SentencePieceProcessor written;
  ASSERT_TRUE(written.LoadFromSerializedProto(*bytes).ok());
  std::vector<std::string> texts = SyntheticCorpus(800, 123);
  for (const auto& t : ProbeTexts()) texts.push_back(t);
  texts.push_back("<raw> Zorblat 2042<syn> a mill<fus>");
  size_t same = 0;
  for (const std::string& t : texts) {
    std::vector<int> a, b;
    ASSERT_TRUE(m.sp.Encode(t, &a).ok());
    ASSERT_TRUE(written.Encode(t, &b).ok());
    same += a == b;
  }
  EXPECT_EQ(same, texts.size());
  const auto agreement = CompareWithSentencePiece(written, *m.tok, texts);
  EXPECT_EQ(agreement.ids_equal, agreement.texts) << agreement.Summary();

  LlamaVocab broken = v;
  broken.scores.pop_back();
  EXPECT_EQ(SentencePieceModelBytes(broken).status().code(), Status::Code::kInvalidArgument);
}

TEST(SpmCompat, UserDefinedAndControlSymbols) {
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(Train(SyntheticCorpus(1500, 3),
                                "--vocab_size=400 --hard_vocab_limit=false "
                                "--user_defined_symbols=<img>,<caption>,\xE2\x96\x81photo,"
                                "\xF0\x9F\x98\x80 --control_symbols=<sep>",
                                &m));
  EXPECT_EQ(m.tok->vocab().type(m.tok->TokenId("<img>")), TokenType::kUserDefined);
  EXPECT_EQ(m.tok->vocab().type(m.tok->TokenId("<sep>")), TokenType::kControl);
  const std::vector<std::string> texts = {
      "<img> a photo of a cat <caption>", "<img><img>photo<caption>", "a<sep>b <sep> c", "photo photo  photo",
      "<im g> <img <caption", "\xF0\x9F\x98\x80\xF0\x9F\x98\x80 the cat", "<img>"};
  const auto a = CompareWithSentencePiece(m.sp, *m.tok, texts);
  EXPECT_EQ(a.ids_equal, a.texts) << a.Summary();
  EXPECT_EQ(a.round_trips, a.texts) << a.Summary();
  // A control symbol in text is spelled, never produced.
  const auto ids = m.tok->Encode("a<sep>b", false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), m.tok->TokenId("<sep>")), 0);
}

TEST(SpmCompat, UnknownWithoutByteFallbackMatchesSentencePiece) {
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(
      Train(SyntheticCorpus(1500, 5), "--vocab_size=400 --hard_vocab_limit=false --byte_fallback=false", &m));
  EXPECT_FALSE(m.tok->has_byte_fallback());
  const std::vector<std::string> texts = {
      "zzq hello", "\xCE\xA9\xCF\x80 cat", "cat \xE2\x82\xAC\xE2\x82\xAC\xE2\x82\xAC", "qqq", "the cat", "Q", " Q Q "};
  const auto a = CompareWithSentencePiece(m.sp, *m.tok, texts);
  EXPECT_EQ(a.ids_equal, a.texts) << a.Summary();
  EXPECT_EQ(a.decodes_equal, a.texts) << a.Summary();
  const auto ids = m.tok->Encode("zzz", false);
  ASSERT_EQ(ids.size(), 2u);  // "▁" and one <unk> for the run "zzz"
  EXPECT_EQ(ids[1], m.tok->unk_id());
}

// The trainer's path: SentencePiece model -> LlamaVocab -> GGUF metadata ->
// LoadLlamaTokenizer, still id for id with SentencePiece.
TEST(SpmCompat, ThroughGgufMetadataMatchesSentencePiece) {
  const std::vector<std::string> corpus = SyntheticCorpus(2000, 21);
  std::string error;
  const std::string model = TrainSentencePiece(corpus, "--vocab_size=450 --hard_vocab_limit=false", &error);
  ASSERT_FALSE(model.empty()) << error;
  sentencepiece::SentencePieceProcessor sp;
  ASSERT_TRUE(sp.LoadFromSerializedProto(model).ok());
  auto vocab = LlamaVocabFromSentencePiece(model);
  ASSERT_TRUE(vocab.ok()) << vocab.status().ToString();
  gguf::GgufWriter writer;
  writer.SetString("general.architecture", "llama");
  ASSERT_TRUE(WriteLlamaVocab(*vocab, &writer).ok());
  auto file = gguf::GgufFile::FromBytes(writer.WriteToString());
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto tok = LoadLlamaTokenizer(**file);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  std::vector<std::string> texts = SyntheticCorpus(1000, 22);
  for (const auto& t : ProbeTexts()) texts.push_back(t);
  const auto a = CompareWithSentencePiece(sp, **tok, texts);
  EXPECT_EQ(a.ids_equal, a.texts) << a.Summary();
  EXPECT_EQ(a.decodes_equal, a.texts) << a.Summary();
}

TEST(SpmCompat, RefusesModelsItCannotReproduce) {
  const std::vector<std::string> corpus = SyntheticCorpus(800, 11);
  std::string error;
  for (const char* flags : {"--vocab_size=400 --hard_vocab_limit=false --model_type=unigram",
                            "--vocab_size=400 --hard_vocab_limit=false --normalization_rule_name=nmt_nfkc",
                            "--vocab_size=400 --hard_vocab_limit=false --remove_extra_whitespaces=true"}) {
    const std::string model = TrainSentencePiece(corpus, flags, &error);
    ASSERT_FALSE(model.empty()) << error;
    SpmModelInfo info;
    auto refused = LlamaVocabFromSentencePiece(model, /*require_compatible=*/true, &info);
    EXPECT_EQ(refused.status().code(), Status::Code::kNotSupported) << flags;
    EXPECT_TRUE(LlamaVocabFromSentencePiece(model, /*require_compatible=*/false).ok()) << flags;
  }
}

TEST(SpmCompat, MalformedModelBytesNeverCrash) {
  std::string error;
  const std::string model =
      TrainSentencePiece(SyntheticCorpus(500, 13), "--vocab_size=400 --hard_vocab_limit=false", &error);
  ASSERT_FALSE(model.empty()) << error;
  ASSERT_TRUE(LlamaVocabFromSentencePiece(model).ok());
  // Every truncation either fails cleanly or yields a usable tokenizer.
  for (size_t len = 0; len < model.size(); len += 1 + len / 64) {
    auto vocab = LlamaVocabFromSentencePiece(std::string_view(model).substr(0, len));
    if (vocab.ok()) {
      EXPECT_TRUE(LlamaTokenizer::Create(std::move(*vocab)).ok());
    }
  }
  std::mt19937 rng(17);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = model;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    auto vocab = LlamaVocabFromSentencePiece(bad, /*require_compatible=*/false);
    if (!vocab.ok()) continue;
    auto tok = LlamaTokenizer::Create(std::move(*vocab));
    if (tok.ok()) (*tok)->Decode((*tok)->Encode("a photo of a cat \xFF", true));
  }
  EXPECT_EQ(LlamaVocabFromSentencePiece("").status().code(), Status::Code::kCorruption);
  EXPECT_EQ(LlamaVocabFromSentencePiece("\x0a\xff").status().code(), Status::Code::kCorruption);
}

TEST(SpmCompat, CapsFusionCaptionsMatchSentencePiece) {
  const std::string train_path = testing::SharedData("capsfusion/train.json");
  const std::string dev_path = testing::SharedData("capsfusion/dev.json");
  if (train_path.empty()) GTEST_SKIP() << testing::SharedMissing("capsfusion/train.json");
  if (dev_path.empty()) GTEST_SKIP() << testing::SharedMissing("capsfusion/dev.json");
  const std::vector<std::string> train = testing::LoadCaptions(train_path);
  const std::vector<std::string> dev = testing::LoadCaptions(dev_path);
  ASSERT_EQ(train.size(), 24000u);
  ASSERT_EQ(dev.size(), 3000u);
  const auto t0 = std::chrono::steady_clock::now();
  TrainedModel m;
  ASSERT_NO_FATAL_FAILURE(Train(train, "--vocab_size=4000 --num_threads=2", &m));
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<std::string> texts = train;
  texts.insert(texts.end(), dev.begin(), dev.end());
  const auto a = CompareWithSentencePiece(m.sp, *m.tok, texts);
  RecordProperty("agreement", a.Summary());
  std::printf("4000-piece model trained in %.1f s; %s\n", train_s, a.Summary().c_str());
  EXPECT_EQ(a.ids_equal, a.texts) << a.Summary();
  EXPECT_EQ(a.round_trips, a.texts) << a.Summary();
  EXPECT_EQ(a.decodes_equal, a.texts) << a.Summary();
}

}  // namespace
}  // namespace capsfusion
