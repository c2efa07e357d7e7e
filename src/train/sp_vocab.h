// SpVocab: the SentencePiece tokenizer of a trained model.
//
// Trained with BPE and byte fallback (LLaMA's recipe: identity normalisation,
// no whitespace folding, a dummy-prefix space, digits split), plus the special
// pieces of the compact prompt as user-defined symbols. The engine's LLaMA
// tokenizer reads the same pieces and scores from the GGUF file, so a prompt
// encodes to the same ids in training and at inference.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "train/train.h"

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace capsfusion::train {

//! GGUF token types (tokenizer.ggml.token_type).
enum class PieceType : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct Piece {
  std::string text;
  float score = 0;
  PieceType type = PieceType::kNormal;
};

class SpVocab {
 public:
  ~SpVocab();

  //! Trains a model on `texts` and writes it to `path` (the .model file).
  //! `special` are the user-defined pieces (e.g. "<raw>").
  static Status Train(const std::vector<std::string>& texts, const std::vector<std::string>& special,
                      const TokenizerOptions& options, int threads, const std::string& path);
  //! Loads a .model file.
  static StatusOr<std::unique_ptr<SpVocab>> Load(const std::string& path);
  //! Loads from the bytes of a .model file.
  static StatusOr<std::unique_ptr<SpVocab>> FromSerialized(const std::string& bytes);

  //! Ids of `text` as a part of a prompt after a special piece (the engine
  //! encodes a text fragment that follows a special piece with a leading space).
  std::vector<int32_t> Encode(std::string_view text) const;
  //! Text of `ids`; control pieces are skipped, the leading space dropped.
  std::string Decode(const std::vector<int32_t>& ids) const;
  //! The id of a piece, or -1 (unknown pieces map to -1, not to unk).
  int32_t PieceId(std::string_view piece) const;

  int32_t size() const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t unk_id() const;
  //! True for BOS/EOS/UNK, control and user-defined pieces: never a copy source.
  bool IsSpecial(int32_t id) const;

  //! Every piece with its score and GGUF type, in id order.
  std::vector<Piece> Pieces() const;
  //! The .model file's bytes.
  const std::string& serialized() const { return serialized_; }

 private:
  SpVocab() = default;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string serialized_;
  std::vector<PieceType> types_;
};

//! The special pieces of a compact template ("<raw>{raw}<syn>{synthetic}<fus>"):
//! every "<name>" outside the placeholders, in order, without repeats.
std::vector<std::string> TemplateSpecialPieces(const std::string& tmpl);

}  // namespace capsfusion::train
