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

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::ptb {

class RuleSet;

//! Receives the lexer's output in order: each token (its text after the
//! rule's normalization), or a line break (newline == true, token empty).
using LexSink = std::function<void(std::u16string_view token, bool newline)>;

class PtbLexer {
 public:
  PtbLexer();
  ~PtbLexer();
  PtbLexer(const PtbLexer&) = delete;
  PtbLexer& operator=(const PtbLexer&) = delete;

  //! Tokenizes a whole input stream. Linear in its length.
  void Tokenize(std::u16string_view text, const LexSink& sink);

 private:
  std::unique_ptr<RuleSet> rules_;
  std::vector<int> actions_;  // rule index -> action code
};

}  // namespace capsfusion::ptb
