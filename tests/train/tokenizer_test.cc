// The trained tokenizer and the compact-prompt examples built with it.
#include <gtest/gtest.h>

#include "test_util.h"
#include "toy_data.h"
#include "train/example.h"
#include "train/sp_trainer.h"
#include "train/triplet.h"
#include "train/vocab.h"

namespace capsfusion::train {
namespace {

class TokenizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string data = dir_.File("toy.jsonl");
    testing::WriteToyData(data, 200, 11);
    auto rows = LoadTriplets({data}, DataOptions{}, LeakMode::kKeep, 0, nullptr);
    ASSERT_TRUE(rows.ok());
    rows_ = *rows;
    std::vector<std::string> texts;
    for (const Triplet& t : rows_) texts.insert(texts.end(), {t.raw, t.synthetic, t.target});
    TokenizerOptions o;
    o.vocab_size = 500;
    ASSERT_TRUE(TrainSentencePiece(texts, TemplateSpecialPieces(kCompactTemplate), o, 1, dir_.File("t.model")).ok());
    auto v = Vocab::Load(dir_.File("t.model"));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    vocab_ = std::move(*v);
  }
  capsfusion::testing::TempDir dir_;
  std::vector<Triplet> rows_;
  std::unique_ptr<Vocab> vocab_;
};

TEST(TemplateTest, SpecialPieces) {
  EXPECT_EQ(TemplateSpecialPieces(kCompactTemplate), (std::vector<std::string>{"<raw>", "<syn>", "<fus>"}));
  EXPECT_EQ(TemplateSpecialPieces("a <b c> {raw} <x><x>{synthetic}"), (std::vector<std::string>{"<x>"}));
}

TEST_F(TokenizerTest, SpecialPiecesAreUserDefinedAndIdsFollowLlama) {
  EXPECT_EQ(vocab_->PieceId("<unk>"), 0);
  EXPECT_EQ(vocab_->bos_id(), 1);
  EXPECT_EQ(vocab_->eos_id(), 2);
  for (const char* s : {"<raw>", "<syn>", "<fus>"}) {
    int32_t id = vocab_->PieceId(s);
    ASSERT_GE(id, 0) << s;
    EXPECT_TRUE(vocab_->IsUserDefined(id));
    EXPECT_TRUE(vocab_->IsSpecial(id));
  }
  EXPECT_GE(vocab_->PieceId("<0x41>"), 0);  // byte fallback
  // Any text round-trips, unseen characters through bytes.
  for (std::string s : {"The Zorvex lamp 42.", "Ünïcödé ✓ 日本", "tabs\tand  spaces"}) {
    EXPECT_EQ(vocab_->Decode(vocab_->Encode(s)), s);
  }
}

TEST_F(TokenizerTest, PromptLayoutAndCopySources) {
  auto b = ExampleBuilder::Create(vocab_.get(), kCompactTemplate, DataOptions{});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  Example e = b->Build(rows_[0]);
  const int32_t raw = vocab_->PieceId("<raw>"), syn = vocab_->PieceId("<syn>"), fus = vocab_->PieceId("<fus>");
  ASSERT_GE(e.prompt.size(), 6u);
  EXPECT_EQ(e.prompt[0], vocab_->bos_id());
  EXPECT_EQ(e.prompt.back(), fus);
  EXPECT_EQ(e.target.back(), vocab_->eos_id());
  // The prompt is exactly the engine's encoding of the filled template.
  PromptTemplate t{"compact", kCompactTemplate};
  EXPECT_EQ(e.prompt, vocab_->Encode(t.Fill(rows_[0].raw, rows_[0].synthetic), true));
  // Sources: everything but BOS and the special pieces.
  ASSERT_EQ(e.source.size(), e.prompt.size());
  for (size_t i = 0; i < e.prompt.size(); ++i) {
    bool special = e.prompt[i] == vocab_->bos_id() || e.prompt[i] == raw || e.prompt[i] == syn || e.prompt[i] == fus;
    EXPECT_EQ(e.source[i] != 0, !special) << i;
  }
  // The raw caption's first word is the same piece as inside the target.
  std::string first = rows_[0].raw.substr(0, rows_[0].raw.find(' '));
  std::vector<int32_t> word = vocab_->Encode(first);  // with the space a word has inside a sentence
  auto pos = std::find(e.prompt.begin(), e.prompt.end(), raw);
  ASSERT_NE(pos, e.prompt.end());
  EXPECT_TRUE(std::equal(word.begin(), word.end(), pos + 1));
}

TEST_F(TokenizerTest, LimitsCutCaptionsAndTargets) {
  DataOptions d;
  d.max_raw_tokens = 3;
  d.max_synthetic_tokens = 2;
  d.max_target_tokens = 4;
  auto b = ExampleBuilder::Create(vocab_.get(), kCompactTemplate, d);
  ASSERT_TRUE(b.ok());
  Example e = b->Build(rows_[1]);
  EXPECT_LE(e.prompt.size(), 1u + 1 + 1 + 3 + 1 + 2 + 1 + 2);  // BOS, "▁", 3 specials, cut captions, slack
  EXPECT_EQ(e.target.size(), 4u);
  EXPECT_NE(e.target.back(), vocab_->eos_id());  // a cut target does not teach stopping
  Example lm = b->BuildLm("The Zorvex lamp.");
  EXPECT_TRUE(lm.lm);
  EXPECT_EQ(lm.prompt, std::vector<int32_t>{vocab_->bos_id()});
}

TEST_F(TokenizerTest, BadTemplatesAreRefused) {
  EXPECT_FALSE(ExampleBuilder::Create(vocab_.get(), "<raw> {raw}<syn> {synthetic}", DataOptions{}).ok());
  EXPECT_FALSE(ExampleBuilder::Create(vocab_.get(), "<raw> {raw}<fus>", DataOptions{}).ok());
  EXPECT_FALSE(ExampleBuilder::Create(vocab_.get(), "<a> {raw}<b> {synthetic}<c>", DataOptions{}).ok());
  DataOptions d;
  d.max_target_tokens = 1;
  EXPECT_FALSE(ExampleBuilder::Create(vocab_.get(), kCompactTemplate, d).ok());
}

TEST(VocabTest, MissingOrBrokenModelIsAStatus) {
  capsfusion::testing::TempDir dir;
  EXPECT_FALSE(Vocab::Load(dir.File("none.model")).ok());
  capsfusion::testing::WriteFile(dir.File("bad.model"), "not a model");
  EXPECT_FALSE(Vocab::Load(dir.File("bad.model")).ok());
  EXPECT_FALSE(TrainSentencePiece({}, {}, TokenizerOptions{}, 1, dir.File("x.model")).ok());
}

}  // namespace
}  // namespace capsfusion::train
