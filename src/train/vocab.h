// Vocab: the tokenizer of a trained model as the trainer uses it.
//
// Encoding and decoding go through the project's LlamaTokenizer, the very
// tokenizer the engine builds from the exported GGUF metadata, so training
// sequences hold exactly the ids the engine will feed the model.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "tokenizer/llama_tokenizer.h"
#include "tokenizer/llama_vocab.h"

namespace capsfusion::train {

class Vocab {
 public:
  //! Reads a SentencePiece .model file.
  static StatusOr<std::unique_ptr<Vocab>> Load(const std::string& path);

  //! Ids of `text` (a space prefix, as the engine encodes a prompt); BOS first with `add_bos`.
  std::vector<int32_t> Encode(std::string_view text, bool add_bos = false) const {
    return tokenizer_->Encode(text, add_bos);
  }
  //! Text of `ids` (control tokens skipped, the prefix space dropped).
  std::string Decode(const std::vector<int32_t>& ids) const { return tokenizer_->Decode(ids); }
  //! The id of a piece, or -1.
  int32_t PieceId(std::string_view piece) const { return tokenizer_->TokenId(piece); }

  int32_t size() const { return static_cast<int32_t>(tokenizer_->vocab_size()); }
  int32_t bos_id() const { return tokenizer_->bos_id(); }
  int32_t eos_id() const { return tokenizer_->eos_id(); }
  //! Control, unknown and user-defined pieces: never a copy source.
  bool IsSpecial(int32_t id) const;
  bool IsUserDefined(int32_t id) const;

  const LlamaVocab& llama_vocab() const { return tokenizer_->vocab(); }
  const LlamaTokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::unique_ptr<LlamaTokenizer> tokenizer_;
};

}  // namespace capsfusion::train
