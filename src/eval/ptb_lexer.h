// A re-implementation of the rules of Stanford CoreNLP 3.4.1's PTBLexer with
// the options pycocoevalcap's PTBTokenizer call uses (-preserveLines, i.e.
// tokenizeNLs, and the PTB3 defaults: latexQuotes, ptb3Ellipsis, ptb3Dashes,
// normalizeParentheses, normalizeOtherBrackets, normalizeCurrency,
// normalizeFractions, normalizeAmpersandEntity, normalizeSpace,
// splitAssimilations; americanize off; untokenizable=firstDelete).
//
// The lexer works on UTF-16 code units as the Java one does: a character
// outside the BMP is two surrogate units, each untokenizable, so it is deleted
// (and separates the tokens around it).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace capsfusion::ptb {

class RuleSet;

//! One lexer output: a token, or a line break (a newline in the input).
struct LexToken {
  std::u16string text;  //!< token text after the rule's normalization
  bool newline = false;  //!< true for a line break (text empty)
};

class PtbLexer {
 public:
  PtbLexer();
  ~PtbLexer();
  PtbLexer(const PtbLexer&) = delete;
  PtbLexer& operator=(const PtbLexer&) = delete;

  //! Tokenizes a whole input stream. Linear in its length.
  std::vector<LexToken> Tokenize(const std::u16string& text);

 private:
  std::unique_ptr<RuleSet> rules_;
  std::vector<int> actions_;  // rule index -> action code
};

}  // namespace capsfusion::ptb
