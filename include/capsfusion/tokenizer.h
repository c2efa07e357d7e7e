// Tokenizer: text <-> token ids, the interface the prompt builder and the
// engine share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  //! Token ids of `text`; with `add_bos`, the BOS id comes first (if the model has one).
  virtual std::vector<int32_t> Encode(std::string_view text, bool add_bos) const = 0;
  //! Text of `ids` (BOS/EOS and other control tokens are skipped).
  virtual std::string Decode(const std::vector<int32_t>& ids) const = 0;
  //! Number of tokens Encode(text, add_bos) returns.
  virtual size_t CountTokens(std::string_view text, bool add_bos) const {
    return Encode(text, add_bos).size();
  }
  virtual int32_t bos_id() const = 0;  //!< -1 when the model has none
  virtual int32_t eos_id() const = 0;  //!< -1 when the model has none
  virtual size_t vocab_size() const = 0;
  //! The byte a byte-fallback token ("<0xE2>") stands for, or -1 for every other token.
  virtual int TokenByte(int32_t /*id*/) const { return -1; }
  //! Short description for logs and provenance ("llama/sentencepiece, 4000 tokens").
  virtual std::string name() const = 0;
};

//! A model-free stand-in for budgeting prompts before a model is chosen. It
//! mimics the shape of LLaMA's SentencePiece pieces without a vocabulary: an
//! optional leading space plus up to 4 ASCII letters make one piece, every
//! digit, punctuation character and non-ASCII byte is a piece of its own. Long
//! common words count as several pieces where LLaMA has one, so budgets it
//! computes err on the safe side. Encode/Decode round-trip exactly. It is an
//! approximation: with a model, use the model's tokenizer.
std::unique_ptr<Tokenizer> MakeApproximateTokenizer();

}  // namespace capsfusion
