// Unit tests of the lexer core behind the PTB tokenizer: JFlex matching
// semantics (longest match, earlier rule wins ties, trailing context counted
// in the length but not in the token) and the pattern syntax.
#include <gtest/gtest.h>

#include <string>

#include "eval/ptb_automaton.h"

namespace capsfusion::ptb {
namespace {

struct Scan {
  int rule;
  size_t main_end, end;
};

Scan ScanAt(RuleSet& rules, const std::u16string& text, size_t pos = 0) {
  RuleSet::Memo memo;
  RuleSet::Match m = rules.Longest(text.data(), text.size(), pos, &memo);
  size_t main_end = m.rule >= 0 ? rules.MainEnd(m.rule, text.data(), pos, m.end) : 0;
  return {m.rule, main_end, m.end};
}

TEST(PtbAutomaton, LongestMatchThenEarlierRule) {
  RuleSet rules(/*caseless=*/false);
  rules.Define("D", "[0-9]");
  int num = rules.AddRule("{D}+");
  int word = rules.AddRule("[a-z]+");
  int alnum = rules.AddRule("[a-z0-9]+");
  rules.Build();
  EXPECT_EQ(ScanAt(rules, u"123 x").rule, num);
  EXPECT_EQ(ScanAt(rules, u"abc").rule, word);    // tie with alnum: earlier wins
  Scan s = ScanAt(rules, u"ab12 x");
  EXPECT_EQ(s.rule, alnum);                      // longer wins
  EXPECT_EQ(s.end, 4u);
}

TEST(PtbAutomaton, TrailingContextCountsForLengthOnly) {
  RuleSet rules(false);
  int plain = rules.AddRule("[a-z]+\\.");
  int before_space = rules.AddRule("[a-z]+", "\\.[ ]+[A-Z]");
  rules.Build();
  Scan s = ScanAt(rules, u"end.   The");
  EXPECT_EQ(s.rule, before_space);
  EXPECT_EQ(s.main_end, 3u);
  EXPECT_EQ(s.end, 8u);
  s = ScanAt(rules, u"end.");  // the context fails at end of input
  EXPECT_EQ(s.rule, plain);
  EXPECT_EQ(s.main_end, 4u);
}

TEST(PtbAutomaton, PatternSyntax) {
  RuleSet rules(/*caseless=*/true);
  int quoted = rules.AddRule("\"ab\"c{2,3}");
  int any = rules.AddRule("[^]");
  int cls = rules.AddRule("[:;=][\\u00A0x-z]?");
  int letters = rules.AddRule("[:letter:]+");
  rules.Build();
  EXPECT_EQ(ScanAt(rules, u"ABccc").rule, quoted);  // caseless literals
  EXPECT_EQ(ScanAt(rules, u"ABccc").end, 5u);
  EXPECT_EQ(ScanAt(rules, u"\u00E9t\u00E9").rule, letters);
  EXPECT_EQ(ScanAt(rules, u":\u00A0").rule, cls);
  EXPECT_EQ(ScanAt(rules, u"\n").rule, any);
}

TEST(PtbAutomaton, MalformedPatternsThrow) {
  RuleSet rules(false);
  EXPECT_THROW(rules.AddRule("(ab"), std::logic_error);
  EXPECT_THROW(rules.AddRule("{NOPE}"), std::logic_error);
  EXPECT_THROW(rules.AddRule("[z-a]"), std::logic_error);
}

}  // namespace
}  // namespace capsfusion::ptb
