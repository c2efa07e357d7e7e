// LlamaTokenizer on small hand-made vocabularies: merge rules, byte fallback,
// special token types, decoding and edge cases.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "tokenizer/llama_tokenizer.h"

namespace capsfusion {
namespace {

constexpr const char* kSp = "\xE2\x96\x81";  // "▁"

std::string Sp(const std::string& s) {  // "▁" for every ' '
  std::string out;
  for (char c : s) {
    if (c == ' ') out += kSp; else out.push_back(c);
  }
  return out;
}

// <unk> <s> </s>, optionally the 256 byte tokens, then `pieces` (text with ' '
// for "▁", score) as normal tokens.
LlamaVocab MakeVocab(const std::vector<std::pair<std::string, float>>& pieces, bool bytes = true) {
  LlamaVocab v;
  auto add = [&](const std::string& text, float score, TokenType type) {
    v.tokens.push_back(text);
    v.scores.push_back(score);
    v.token_types.push_back(static_cast<int32_t>(type));
    return static_cast<int32_t>(v.tokens.size() - 1);
  };
  v.unk_id = add("<unk>", 0, TokenType::kUnknown);
  v.bos_id = add("<s>", 0, TokenType::kControl);
  v.eos_id = add("</s>", 0, TokenType::kControl);
  if (bytes) {
    for (int b = 0; b < 256; ++b) add(BytePieceText(static_cast<uint8_t>(b)), 0, TokenType::kByte);
  }
  for (const auto& [text, score] : pieces) add(Sp(text), score, TokenType::kNormal);
  return v;
}

std::unique_ptr<LlamaTokenizer> Make(LlamaVocab v) {
  auto tok = LlamaTokenizer::Create(std::move(v));
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return tok.ok() ? std::move(*tok) : nullptr;
}

// The piece texts of `ids`, joined with '|', for readable expectations.
std::string Pieces(const LlamaTokenizer& tok, const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) {
    if (!out.empty()) out += "|";
    std::string t = tok.TokenText(id);
    for (size_t p; (p = t.find(kSp)) != std::string::npos;) t.replace(p, 3, "_");
    out += t;
  }
  return out;
}

std::vector<std::pair<std::string, float>> BasicPieces() {
  return {{" ", -1},   {"a", -2},    {"b", -3},     {"c", -4},     {"t", -5},    {"h", -6},  {"e", -7},
          {"ab", -10}, {" a", -11},  {" ab", -12},  {"abc", -13},  {"he", -14},  {" t", -15}, {" the", -16},
          {"  ", -20}, {"   ", -21}, {" c", -22},   {"th", -30}};
}

TEST(LlamaTokenizer, EncodesWithSpacePrefixAndMerges) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("abc", false)), "_ab|c");
  EXPECT_EQ(Pieces(*tok, tok->Encode("the abc", false)), "_the|_ab|c");
  EXPECT_EQ(Pieces(*tok, tok->Encode("abc", true)), "<s>|_ab|c");
  EXPECT_EQ(tok->Decode(tok->Encode("the abc", true)), "the abc");
}

TEST(LlamaTokenizer, EmptyAndWhitespaceOnly) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  EXPECT_TRUE(tok->Encode("", false).empty());
  EXPECT_EQ(tok->Encode("", true), std::vector<int32_t>{tok->bos_id()});
  EXPECT_EQ(tok->Decode({}), "");
  EXPECT_EQ(tok->CountTokens("", true), 1u);
  // " " -> "▁▁", "   " -> "▁▁▁▁": whitespace-only pieces, best score first.
  EXPECT_EQ(Pieces(*tok, tok->Encode(" ", false)), "__");
  EXPECT_EQ(Pieces(*tok, tok->Encode("   ", false)), "__|__");
  for (const char* s : {" ", "  ", "   ", "    ", "\t", "\n\n", " a ", "a  "}) {
    EXPECT_EQ(tok->Decode(tok->Encode(s, true)), s) << "[" << s << "]";
  }
}

TEST(LlamaTokenizer, TiesGoToTheLeftmostPair) {
  auto tok = Make(MakeVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -5}, {"bc", -5}}));
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("abc", false)), "<0xE2>|<0x96>|<0x81>|ab|c");
  auto right = Make(MakeVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -5}, {"bc", -4}}));
  ASSERT_TRUE(right);
  EXPECT_EQ(Pieces(*right, right->Encode("abc", false)), "<0xE2>|<0x96>|<0x81>|a|bc");
}

TEST(LlamaTokenizer, MergesOnlyThroughPiecesInTheVocabulary) {
  // "abc" is a piece but neither "ab" nor "bc" is: BPE cannot reach it.
  auto tok = Make(MakeVocab({{" ", -1}, {"a", -1}, {"b", -1}, {"c", -1}, {"abc", 0}}));
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("abc", false)), "_|a|b|c");
}

TEST(LlamaTokenizer, FourByteCharactersFallBackToBytes) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  const std::string emoji = "\xF0\x9F\x98\x80";  // 😀
  EXPECT_EQ(Pieces(*tok, tok->Encode(emoji, false)), "_|<0xF0>|<0x9F>|<0x98>|<0x80>");
  for (const std::string& s : {emoji, "a" + emoji + "b", emoji + emoji + " " + emoji,
                              std::string("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9")}) {
    EXPECT_EQ(tok->Decode(tok->Encode(s, true)), s);
  }
  // A 4-byte character that is a piece is one token.
  auto with = Make(MakeVocab({{" ", -1}, {emoji, -2}}));
  ASSERT_TRUE(with);
  EXPECT_EQ(with->Encode(emoji, false).size(), 2u);
}

TEST(LlamaTokenizer, InvalidUtf8IsByteEncodedAndRestored) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  const std::vector<std::string> bad = {
      "\xFF",         "\xC3",           "ab\xC3",           "\xC0\xAF",          "\xED\xA0\x80" "a",
      "\xE2\x96",     "\xE2\x96 a",     "\xF4\x90\x80\x80", "\x80\x80\x80",      "a\xFE\xFF b",
      "\xF0\x9F\x98", std::string(1, '\0') + "a" + std::string(1, '\0')};
  for (const std::string& s : bad) {
    const auto ids = tok->Encode(s, true);
    EXPECT_EQ(tok->Decode(ids), s);
    for (int32_t id : ids) EXPECT_NE(id, tok->unk_id());
  }
  // Each ill-formed byte is its own byte token: "\xE2\x96" is not "▁".
  EXPECT_EQ(Pieces(*tok, tok->Encode("\xE2\x96", false)), "_|<0xE2>|<0x96>");
  EXPECT_EQ(Pieces(*tok, tok->Encode("\xC0\xAF", false)), "_|<0xC0>|<0xAF>");
}

TEST(LlamaTokenizer, UnknownWithoutByteFallback) {
  auto tok = Make(MakeVocab(BasicPieces(), /*bytes=*/false));
  ASSERT_TRUE(tok);
  EXPECT_FALSE(tok->has_byte_fallback());
  // A run of unknown characters is one <unk>; decoded as " ⁇ ".
  EXPECT_EQ(Pieces(*tok, tok->Encode("xyz ab", false)), "_|<unk>|_ab");
  EXPECT_EQ(Pieces(*tok, tok->Encode("x y", false)), "_|<unk>|_|<unk>");
  EXPECT_EQ(Pieces(*tok, tok->Encode("\xFF\xFE", false)), "_|<unk>");
  EXPECT_EQ(tok->Decode(tok->Encode("ab x", false)), "ab  \xE2\x81\x87 ");
  // Neither bytes nor <unk>: unknown text is dropped, nothing crashes.
  LlamaVocab v = MakeVocab(BasicPieces(), false);
  v.token_types[0] = static_cast<int32_t>(TokenType::kControl);
  v.unk_id = -1;
  auto bare = Make(v);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->unk_id(), -1);
  EXPECT_EQ(Pieces(*bare, bare->Encode("x ab", false)), "_|_ab");
}

TEST(LlamaTokenizer, ControlTokensAreNeverProducedFromText) {
  auto tok = Make(MakeVocab({{" ", -1}, {"<", -2}, {"s", -3}, {">", -4}, {"<s", -5}, {"/", -6}}));
  ASSERT_TRUE(tok);
  for (int32_t id : tok->Encode("<s></s>", false)) {
    EXPECT_NE(id, tok->bos_id());
    EXPECT_NE(id, tok->eos_id());
  }
  EXPECT_EQ(Pieces(*tok, tok->Encode("<s>", false)), "_|<s|>");
  EXPECT_EQ(tok->Decode({tok->bos_id(), tok->TokenId("<s"), tok->eos_id()}), "<s");
}

TEST(LlamaTokenizer, UserDefinedTokensMatchLiterallyAndStayWhole) {
  LlamaVocab v = MakeVocab(BasicPieces());
  v.tokens.push_back("<img>");
  v.scores.push_back(0);
  v.token_types.push_back(static_cast<int32_t>(TokenType::kUserDefined));
  v.tokens.push_back("ab");  // duplicate of a normal piece: the lower id wins
  v.scores.push_back(100);
  v.token_types.push_back(static_cast<int32_t>(TokenType::kNormal));
  auto tok = Make(v);
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("<img>abc", false)), "_|<img>|abc");
  EXPECT_EQ(Pieces(*tok, tok->Encode("ab<img> <img>", false)), "_ab|<img>|_|<img>");
  EXPECT_EQ(Pieces(*tok, tok->Encode("<img", false)), "_|<0x3C>|<0x69>|<0x6D>|<0x67>");
  EXPECT_EQ(tok->Decode(tok->Encode("x<img>y", true)), "x<img>y");
  EXPECT_EQ(tok->TokenId("ab"), tok->TokenId("ab"));
  EXPECT_LT(tok->TokenId("ab"), static_cast<int32_t>(v.size()) - 1);
}

TEST(LlamaTokenizer, UnusedPiecesAreSplitBack) {
  LlamaVocab v = MakeVocab(BasicPieces());
  // Mark " ab" unused: "ab" merges first (better score), then "▁" + "ab" into
  // " ab", which is split back into the halves it was made from.
  for (size_t i = 0; i < v.size(); ++i) {
    if (v.tokens[i] == Sp(" ab")) v.token_types[i] = static_cast<int32_t>(TokenType::kUnused);
  }
  auto tok = Make(v);
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("ab", false)), "_|ab");
  EXPECT_EQ(tok->Decode(tok->Encode("ab ab", false)), "ab ab");
}

TEST(LlamaTokenizer, DecodeSkipsControlAndOutOfRangeIds) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  std::vector<int32_t> ids = tok->Encode("the ab", true);
  ids.push_back(tok->eos_id());
  ids.insert(ids.begin() + 1, -7);
  ids.push_back(1 << 30);
  EXPECT_EQ(tok->Decode(ids), "the ab");
  // Only the first token's "▁" is the added prefix.
  const int32_t a = tok->TokenId(Sp(" a"));
  EXPECT_EQ(tok->Decode({a, a}), "a a");
  EXPECT_EQ(tok->Decode({tok->TokenId("b"), a}), "b a");
  // Byte tokens reassemble UTF-8 across tokens.
  EXPECT_EQ(tok->Decode({tok->TokenId("<0xC3>"), tok->TokenId("<0xA9>")}), "\xC3\xA9");
}

TEST(LlamaTokenizer, WithoutSpacePrefix) {
  LlamaVocab v = MakeVocab(BasicPieces());
  v.add_space_prefix = false;
  auto tok = Make(v);
  ASSERT_TRUE(tok);
  EXPECT_EQ(Pieces(*tok, tok->Encode("ab c", false)), "ab|_c");
  EXPECT_EQ(tok->Decode(tok->Encode(" ab c", false)), " ab c");
  EXPECT_EQ(tok->Decode({tok->TokenId(Sp(" a"))}), " a");
}

TEST(LlamaTokenizer, EncodeForModelFollowsTheFlags) {
  LlamaVocab v = MakeVocab(BasicPieces());
  v.add_bos = false;
  v.add_eos = true;
  auto tok = Make(v);
  ASSERT_TRUE(tok);
  const auto ids = tok->EncodeForModel("ab");
  ASSERT_FALSE(ids.empty());
  EXPECT_NE(ids.front(), tok->bos_id());
  EXPECT_EQ(ids.back(), tok->eos_id());
  EXPECT_EQ(tok->name(), "llama/sentencepiece, 277 tokens");
  EXPECT_EQ(tok->CountTokens("the abc", true), tok->Encode("the abc", true).size());
}

// Wall-clock bound for encoding 100 KB: about 30 ms on one idle core in a
// release build; the bound leaves room for loaded machines and sanitizers while
// still catching quadratic behaviour (minutes at this size).
#if defined(__SANITIZE_ADDRESS__) || !defined(NDEBUG)
constexpr double kLongInputSeconds = 20.0;
#else
constexpr double kLongInputSeconds = 2.0;
#endif

TEST(LlamaTokenizer, LongInputIsFast) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  std::mt19937 rng(42);
  const char alphabet[] = "abcthe  \n\xC3\xA9";
  std::string mixed;
  while (mixed.size() < 100 * 1024) mixed.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
  const std::vector<std::string> inputs = {mixed, std::string(100 * 1024, 'a'), std::string(100 * 1024, ' '),
                                           std::string(100 * 1024, '\xFF')};
  for (const std::string& s : inputs) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok->Encode(s, true);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(seconds, kLongInputSeconds) << "100 KB took " << seconds << " s";
    EXPECT_EQ(tok->Decode(ids), s);
  }
  // Runs of one piece merge pairwise: "a"*n has no merges, " "*n halves.
  EXPECT_EQ(tok->Encode(std::string(100 * 1024, ' '), false).size(), (100 * 1024 + 1) / 2);
}

TEST(LlamaTokenizer, RandomBytesRoundTrip) {
  auto tok = Make(MakeVocab(BasicPieces()));
  ASSERT_TRUE(tok);
  std::mt19937 rng(7);
  const char* fragments[] = {"a", "b", "c", " ", "the", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE2\x96\x81"};
  for (int trial = 0; trial < 2000; ++trial) {
    std::string s;
    const size_t n = rng() % 40;
    for (size_t i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        s.push_back(static_cast<char>(rng()));
      } else {
        s += fragments[rng() % (sizeof fragments / sizeof *fragments)];
      }
    }
    const auto ids = tok->Encode(s, true);
    EXPECT_EQ(tok->CountTokens(s, true), ids.size());
    // Only "▁" written as itself does not come back.
    if (s.find("\xE2\x96\x81") == std::string::npos) {
      EXPECT_EQ(tok->Decode(ids), s);
    }
  }
}

TEST(LlamaTokenizer, RejectsInconsistentVocabularies) {
  LlamaVocab base = MakeVocab(BasicPieces());
  auto expect_invalid = [](LlamaVocab v, const char* what) {
    auto tok = LlamaTokenizer::Create(std::move(v));
    EXPECT_FALSE(tok.ok()) << what;
  };
  expect_invalid(LlamaVocab{}, "empty");
  LlamaVocab v = base;
  v.scores.pop_back();
  expect_invalid(v, "short scores");
  v = base;
  v.token_types.push_back(1);
  expect_invalid(v, "long types");
  v = base;
  v.token_types[5] = 9;
  expect_invalid(v, "type 9");
  v = base;
  v.bos_id = static_cast<int32_t>(v.size());
  expect_invalid(v, "bos out of range");
  v = base;
  v.eos_id = -2;
  expect_invalid(v, "eos -2");
  // Missing scores and types are allowed (all 0, all normal).
  v = base;
  v.scores.clear();
  v.token_types.clear();
  EXPECT_TRUE(LlamaTokenizer::Create(v).ok());
}

TEST(LlamaTokenizer, NanScoresDoNotBreakMerging) {
  LlamaVocab v = MakeVocab(BasicPieces());
  for (size_t i = 0; i < v.size(); i += 3) v.scores[i] = std::numeric_limits<float>::quiet_NaN();
  auto tok = Make(v);
  ASSERT_TRUE(tok);
  for (const char* s : {"the abc abc", "aaaa bbbb", "ab ab ab"}) EXPECT_EQ(tok->Decode(tok->Encode(s, true)), s);
}

TEST(LlamaTokenizer, BytePieceText) {
  EXPECT_EQ(BytePieceText(0x0A), "<0x0A>");
  EXPECT_EQ(ParseBytePiece("<0xfe>"), 0xFE);
  EXPECT_EQ(ParseBytePiece("<0xFE>"), 0xFE);
  EXPECT_EQ(ParseBytePiece("<0xG0>"), -1);
  EXPECT_EQ(ParseBytePiece("<0x0A"), -1);
}

}  // namespace
}  // namespace capsfusion
