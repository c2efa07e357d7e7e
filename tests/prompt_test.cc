#include "capsfusion/prompt.h"

#include <gtest/gtest.h>

#include "capsfusion/tokenizer.h"

namespace capsfusion {
namespace {

TEST(PromptTest, PaperTemplateIsTheReleaseText) {
  PromptTemplate t = PromptTemplate::Paper();
  ASSERT_TRUE(t.Validate().ok());
  std::string p = t.Fill("RAW", "SYN");
  EXPECT_EQ(p.rfind("Please merge and refine the information from the two given sentences. Sentence 1 provides", 0), 0u);
  EXPECT_NE(p.find("Avoid simply concatenating the sentences.\n\nSentence 1: RAW\nSentence 2: SYN\nNew Sentence:"),
            std::string::npos);
  EXPECT_EQ(p.back(), ':');
}

TEST(PromptTest, CaptionsAreStrippedAndShortPromptsUntouched) {
  auto tok = MakeApproximateTokenizer();
  PromptInfo info;
  auto p = BuildPrompt(PromptTemplate::Paper(), "  a dog \n", "\ta cat ", *tok, {}, &info);
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->find("Sentence 1: a dog\nSentence 2: a cat\nNew Sentence:"), std::string::npos);
  EXPECT_EQ(info.raw_tokens_cut, 0u);
  EXPECT_EQ(info.tokens, tok->CountTokens(*p, true));
}

TEST(PromptTest, OverBudgetCutsOnlyTheRawTail) {
  auto tok = MakeApproximateTokenizer();
  std::string raw;
  for (int i = 0; i < 200; ++i) raw += "word" + std::to_string(i) + " ";
  PromptInfo info;
  auto p = BuildPrompt(PromptTemplate::Paper(), raw, "a photo of a dog", *tok, {}, &info);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_LE(info.tokens, 256u);
  EXPECT_EQ(info.tokens, tok->CountTokens(*p, true));
  EXPECT_GT(info.raw_tokens_cut, 0u);
  EXPECT_EQ(info.synthetic_tokens_cut, 0u);
  EXPECT_NE(p->find("Sentence 1: word0 word1"), std::string::npos);
  EXPECT_NE(p->find("Sentence 2: a photo of a dog\n"), std::string::npos);
}

// The release's slice [:-(total-256)] empties the raw caption when the prompt
// is exactly 256 tokens long; ours keeps every token in that case.
TEST(PromptTest, ExactlyAtBudgetKeepsTheWholeRawCaption) {
  auto tok = MakeApproximateTokenizer();
  PromptTemplate t = PromptTemplate::Paper();
  std::string raw = "x";
  while (tok->CountTokens(t.Fill(raw + " y", "a dog"), true) <= 256) raw += " y";
  ASSERT_EQ(tok->CountTokens(t.Fill(raw, "a dog"), true), 256u);
  PromptInfo info;
  auto p = BuildPrompt(t, raw, "a dog", *tok, {}, &info);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(info.tokens, 256u);
  EXPECT_EQ(info.raw_tokens_cut, 0u);
  EXPECT_NE(p->find("Sentence 1: " + raw + "\n"), std::string::npos);
}

TEST(PromptTest, NeverEmptiesACaptionAndFailsClearlyWhenImpossible) {
  auto tok = MakeApproximateTokenizer();
  std::string lng;
  for (int i = 0; i < 300; ++i) lng += " 9";
  PromptInfo info;
  auto p = BuildPrompt(PromptTemplate::Paper(), lng, lng, *tok, {}, &info);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_LE(info.tokens, 256u);
  EXPECT_NE(p->find("Sentence 1: 9\nSentence 2: 9"), std::string::npos);

  PromptOptions tiny;
  tiny.max_tokens = 10;
  auto q = BuildPrompt(PromptTemplate::Paper(), "a", "b", *tok, tiny, nullptr);
  EXPECT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), Status::Code::kOutOfRange);
}

TEST(PromptTest, TemplateValidation) {
  PromptTemplate t{"x", "no placeholders"};
  EXPECT_FALSE(t.Validate().ok());
  PromptTemplate u{"x", "{raw} and {raw} {synthetic}"};
  EXPECT_FALSE(u.Validate().ok());
}

TEST(ApproximateTokenizerTest, RoundTripsAnyBytes) {
  auto tok = MakeApproximateTokenizer();
  for (std::string s : {std::string("Hello, World! 2023 caf\xc3\xa9"), std::string(" leading  spaces "),
                        std::string("\xff\x00\x01 bytes", 9), std::string("")}) {
    auto ids = tok->Encode(s, true);
    EXPECT_EQ(ids.front(), tok->bos_id());
    EXPECT_EQ(tok->Decode(ids), s);
  }
  EXPECT_EQ(tok->CountTokens(" the cat", false), 2u);
}

}  // namespace
}  // namespace capsfusion
