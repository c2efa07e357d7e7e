// A small lexer-generator core for the PTB tokenizer port: rules written as
// JFlex-style patterns are compiled to one NFA, and scanned through a DFA that
// is built lazily (subset construction on demand). Matching is longest-match,
// ties going to the earlier rule, with trailing context (r1/r2) counted in
// the match length exactly as JFlex does. No backtracking anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "eval/ptb_pattern.h"

namespace capsfusion::ptb {

//! Rules are patterns (see ParsePattern) in JFlex's syntax subset: literals (case-insensitive when the
//! set is caseless), "quoted strings", \uXXXX and \t \n \r \f escapes, classes
//! [a-z\u00C0] with ^ negation, [^] (any unit), [:letter:] [:digit:]
//! [:uppercase:] inside or outside classes, . (any unit but a newline), ( ),
//! |, *, +, ?, {n}, {n,m}, and {NAME} for a macro defined earlier.
class RuleSet {
 public:
  explicit RuleSet(bool caseless);
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  //! Defines macro `name` (usable as {name} in later patterns).
  void Define(const std::string& name, const std::string& pattern);
  //! Adds a rule; `trail` (may be empty) is its trailing context. Returns the
  //! rule's index (its priority: lower wins ties).
  int AddRule(const std::string& pattern, const std::string& trail = "");
  //! Compiles everything; call once after the last AddRule.
  void Build();

  //! One scan result: the rule that won and where its match (trailing context
  //! included) ends. rule < 0 means nothing matched.
  struct Match {
    int rule = -1;
    size_t end = 0;
  };

  //! Memo of (DFA state, position) pairs known to lead to no further accept,
  //! which keeps a whole pass linear in the input length. One per input.
  struct Memo {
    std::unordered_set<uint64_t> failed;
    std::vector<uint64_t> pending;
  };

  //! The longest match at `pos` of text[0, n).
  Match Longest(const char16_t* text, size_t n, size_t pos, Memo* memo);

  //! For a rule with trailing context matched over [start, end): where its
  //! main part ends (the longest main part whose remainder matches the trail).
  size_t MainEnd(int rule, const char16_t* text, size_t start, size_t end);

  bool HasTrail(int rule) const;

  struct Nfa;  // defined in the .cc

 private:
  int ClassOf(char16_t c) const { return cmap_[c]; }
  int Step(int dstate, int cls);
  int AddDfaState(std::vector<int>&& nfa_states);
  void ResetDfa(Memo* memo);
  PatternPtr Parse(const std::string& pattern);

  bool caseless_;
  bool built_ = false;
  std::map<std::string, PatternPtr> macros_;
  struct RuleDef {
    PatternPtr main, trail;
    int main_fixed = -1, trail_fixed = -1;  // fixed lengths, or -1
    int full_start = -1, main_start = -1, main_final = -1;
    int trail_start = -1, trail_final = -1;
  };
  std::vector<RuleDef> rules_;
  std::unique_ptr<Nfa> nfa_;
  std::vector<uint16_t> cmap_;  // UTF-16 unit -> equivalence class
  int num_classes_ = 0;
  // Lazy DFA.
  std::map<std::vector<int>, int> dfa_index_;
  std::vector<std::vector<int>> dfa_sets_;
  std::vector<int> dfa_accept_;
  std::vector<int> dfa_trans_;  // num_states * num_classes; -2 unknown, -1 dead
  int dfa_start_ = -1;
};

}  // namespace capsfusion::ptb
