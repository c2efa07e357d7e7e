// Always-running tests of PtbTokenize / PtbTokenizeBatch: one hand-written
// caption per rule or quirk of pycocoevalcap's tokenization (expected outputs
// follow from the rules of PTBLexer 3.4.1 and the wrapper's filter), plus
// robustness on arbitrary bytes and large inputs.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "capsfusion/metrics.h"

namespace capsfusion {
namespace {

const std::string kNbsp = "\xC2\xA0";

struct Case {
  const char* caption;
  std::string expected;
};

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) EXPECT_EQ(PtbTokenize(c.caption), c.expected) << "caption: " << c.caption;
}

TEST(PtbTokenizer, BracketsAreEscapedAndLowercaseEscapesSurviveTheFilter) {
  ExpectAll({
      {"A cat (black) on a mat.", "a cat -lrb- black -rrb- on a mat"},
      {"[new] {x}", "-lsb- new -rsb- -lcb- x -rcb-"},
      {"A<7,5", "a < 7,5"},
  });
}

TEST(PtbTokenizer, PunctuationFilterKeepsRunsAndAbbreviations) {
  ExpectAll({
      {"Wow!!! Really?!", "wow !!! really ?!"},
      {"Made by Acme Inc. in the U.S. today", "made by acme inc. in the u.s. today"},
      {"He lives in the U.S. The end.", "he lives in the u.s. the end"},
      {"e.g. this", "e.g. this"},
      {"Mr. Smith", "mr. smith"},
      {"No. 5", "no. 5"},
      {"NO. Embargo", "no embargo"},
      {"U.S.A.", "u.s.a."},
      {"x ----- y", "x ----- y"},
      {"a - b, c; d: e", "a b c d e"},
  });
}

TEST(PtbTokenizer, Ptb3Normalizations) {
  ExpectAll({
      {"\xE2\x80\x9CHello\xE2\x80\x9D she said", "hello she said"},  // curly quotes -> `` ''
      {"&quot;Hi&quot;", "hi"},
      {"'hello' said", "hello said"},
      {"Wait\xE2\x80\xA6 what", "wait what"},  // ellipsis -> ...
      {"Wait.... what", "wait what"},
      {"x\xC2\x85y", "x y"},  // U+0085 is an ellipsis here, not a newline
      {"yes--no", "yes no"},
      {"a---b", "a b"},
      {"a \xE2\x80\x94 b", "a b"},  // em dash -> --
      {"\xC2\xA3" "5 and \xE2\x82\xAC" "3 and \xC2\xA2", "# 5 and $ 3 and cents"},
      {"\xC2\xBD cup", "1/2 cup"},
      {"Tom &amp; Jerry", "tom & jerry"},
      {"AT&T", "at&t"},
      {"I cannot go", "i can not go"},
      {"gonna", "gon na"},
      {"don't", "do n't"},
      {"it's", "it 's"},
      {"O'Neil's", "o'neil 's"},
      {"'90s music", "'90s music"},
      {"3:30pm", "3:30 pm"},
      {"50%", "50 %"},
      {"C++ and C#", "c + + and c #"},
      {"co-op", "co-op"},
  });
}

TEST(PtbTokenizer, NonBreakingSpacesInsideTokens) {
  ExpectAll({
      {"Line one<br />Line two", "line one <br" + kNbsp + "/> line two"},
      {"Call 310 570 9100 now", "call 310" + kNbsp + "570" + kNbsp + "9100 now"},
      {"Call (310) 570-9100 now", "call -lrb-310-rrb-" + kNbsp + "570-9100 now"},
      {"1 1/2 cups", "1" + kNbsp + "1/2 cups"},
  });
}

TEST(PtbTokenizer, UrlsEmailsAndFileNames) {
  ExpectAll({
      {"email me@x.com now", "email me@x.com now"},
      {"http://a.com/b.", "http://a.com/b"},
      {"www.example.com", "www.example.com"},
      {"Hotels.com", "hotels.com"},
      {"black.png", "black.png"},
      {"#tag @user", "#tag @user"},
  });
}

TEST(PtbTokenizer, CharactersOutsideTheBmpAndInvalidBytesAreDeleted) {
  ExpectAll({
      {"I love \xF0\x9F\x8D\x95pizza", "i love pizza"},
      {"a\xF0\x9F\x98\x80" "b", "a b"},
      {"ab\xFF" "cd", "ab cd"},
      {"ab\xE2\x82" "cd", "ab cd"},  // truncated sequence
      {"\xC0\xAF\xED\xA0\x80", ""},   // overlong form, encoded surrogate
      {"", ""},
      {"\t\r\x0b", ""},
  });
}

TEST(PtbTokenizer, JavaEnglishLowercasing) {
  ExpectAll({
      {"\xC4\xB0stanbul", "i\xCC\x87stanbul"},  // U+0130 -> i + U+0307
      {"\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3 x", "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82 x"},  // final sigma
  });
}

TEST(PtbTokenizer, NewlinesInsideACaptionBecomeSpaces) {
  EXPECT_EQ(PtbTokenize("two\nlines"), "two lines");
  EXPECT_EQ(PtbTokenizeBatch({"two\nlines", "x"}), (std::vector<std::string>{"two lines", "x"}));
}

TEST(PtbTokenizer, LastTokenDependsOnWhatFollows) {
  // Trailing-context rules fail at end of input but succeed before '\n'.
  EXPECT_EQ(PtbTokenize("nov 2017.png"), "nov 2017 png");
  EXPECT_EQ(PtbTokenizeBatch({"nov 2017.png", "x"})[0], "nov 2017.png");
  EXPECT_EQ(PtbTokenize("best!...:)"), "best -rrb-");
  EXPECT_EQ(PtbTokenizeBatch({"best!...:)", "y"})[0], "best :-rrb-");
  EXPECT_EQ(PtbTokenize("Oct'08"), "oct 08");
  EXPECT_EQ(PtbTokenizeBatch({"Oct'08", "z"})[0], "oct '08");
  // The acronym rule looks past the newline at the next caption's first word.
  EXPECT_EQ(PtbTokenize("size M."), "size m.");
  EXPECT_EQ(PtbTokenizeBatch({"size M.", "A shirt"}),
            (std::vector<std::string>{"size m", "a shirt"}));
  EXPECT_EQ(PtbTokenizeBatch({"size M.", "Blue shirt"})[0], "size m.");
  EXPECT_EQ(PtbTokenize("Size M. The shirt"), "size m the shirt");
}

TEST(PtbTokenizer, BatchMatchesCaptionByCaptionWithoutContext) {
  std::vector<std::string> caps = {"A dog.", "Two cats (sleeping) on a sofa!", "", "Rs. 500, Inc."};
  std::vector<std::string> got = PtbTokenizeBatch(caps);
  ASSERT_EQ(got.size(), caps.size());
  for (size_t i = 0; i < caps.size(); ++i) EXPECT_EQ(got[i], PtbTokenize(caps[i])) << caps[i];
  EXPECT_TRUE(PtbTokenizeBatch({}).empty());
}

TEST(PtbTokenizer, OtherLineBreaksShiftLinesLikeTheWrapper) {
  // The jar ends a line at \r too; pycocoevalcap pairs output lines with
  // captions in order, so later captions shift and the last ones get "".
  EXPECT_EQ(PtbTokenize("a\rb"), "a");
  EXPECT_EQ(PtbTokenizeBatch({"a\rb", "c"}), (std::vector<std::string>{"a", "b"}));
}

TEST(PtbTokenizer, ConcurrentCallsAgree) {
  const std::vector<std::string> caps = {"He lives in the U.S. The end.", "A cat (black) on a mat.",
                                         "Call 310 570 9100 now", "Wow!!! Really?!"};
  std::vector<std::string> want;
  for (const std::string& c : caps) want.push_back(PtbTokenize(c));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      int good = 0;
      for (int round = 0; round < 50; ++round) {
        for (size_t i = 0; i < caps.size(); ++i) good += PtbTokenize(caps[i]) == want[i];
      }
      ok[t] = good;
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(ok[t], 200);
}

uint64_t NextRandom(uint64_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

TEST(PtbTokenizer, ArbitraryBytesNeverCrash) {
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  const std::string alphabet = "aZ0.,'\"-<>/&;:!?()[]{}@#$%* \n\r\t\xC2\xA0\xE2\x80\x99\xF0\x9F\x98\x80\xFF";
  for (int round = 0; round < 300; ++round) {
    std::string s;
    size_t len = NextRandom(&seed) % 400;
    for (size_t i = 0; i < len; ++i) {
      uint64_t r = NextRandom(&seed);
      s.push_back((r & 1) ? static_cast<char>(r >> 8) : alphabet[(r >> 8) % alphabet.size()]);
    }
    std::string out = PtbTokenize(s);
    EXPECT_EQ(out.find('\n'), std::string::npos);
    std::vector<std::string> batch = PtbTokenizeBatch({s, s, "x"});
    EXPECT_EQ(batch.size(), 3u);
  }
}

TEST(PtbTokenizer, LargeAndPathologicalInputsStayLinear) {
  auto repeat = [](const std::string& unit, size_t bytes) {
    std::string s;
    while (s.size() < bytes) s += unit;
    return s;
  };
  const size_t kBytes = 1 << 19;
  const std::vector<std::string> inputs = {
      repeat("<a b='", kBytes),  repeat("<!a", kBytes),        repeat("a.", kBytes),
      repeat("1", kBytes),       repeat("'", kBytes),          repeat("U.S. ", kBytes),
      repeat("x@", kBytes),      "http://" + repeat("a", kBytes), repeat("ab.cd-", kBytes),
      repeat("-", kBytes),       repeat(". ", kBytes),         repeat("A dog runs. ", kBytes),
  };
  for (const std::string& in : inputs) {
    auto t0 = std::chrono::steady_clock::now();
    std::string out = PtbTokenize(in);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(secs, 3.0) << "input starting " << in.substr(0, 12);
  }
}

}  // namespace
}  // namespace capsfusion
