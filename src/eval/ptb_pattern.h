// Pattern syntax tree and parser for the PTB lexer's rules (a subset of
// JFlex's regular-expression syntax; see RuleSet in ptb_automaton.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "eval/ptb_unicode.h"

namespace capsfusion::ptb {

//! A parsed pattern: a character set, or an operator over sub-patterns.
struct Pattern {
  enum Kind { kSet, kCat, kAlt, kStar, kPlus, kOpt, kRep, kEmpty } kind = kEmpty;
  std::vector<CharRange> set;  //!< kSet: sorted, disjoint, merged ranges
  std::vector<std::shared_ptr<const Pattern>> kids;
  int min = 0, max = 0;  //!< kRep: {min,max}
};
using PatternPtr = std::shared_ptr<const Pattern>;

//! Parses `pattern` (UTF-8). Literal characters outside classes match both
//! ASCII cases when `caseless`. {NAME} refers to `macros`. Throws
//! std::logic_error on a malformed pattern (the rule tables are fixed, so
//! this only happens while developing them).
PatternPtr ParsePattern(const std::string& pattern, bool caseless,
                        const std::map<std::string, PatternPtr>& macros);

//! The length of every string `p` matches, or -1 when it varies.
int FixedLength(const PatternPtr& p);

}  // namespace capsfusion::ptb
