// LlamaVocab: the plain data a LLaMA (SentencePiece BPE) tokenizer is built from.
//
// The same fields live in three places: a GGUF file's tokenizer.ggml.* metadata
// (tokenizer_metadata.h), a SentencePiece .model file (spm_model.h) and the
// trainer's output. Keeping the tokenizer core on this struct keeps it
// independent of every file format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/status.h"

namespace capsfusion {

//! Token types, numbered as SentencePiece's ModelProto.SentencePiece.Type and
//! GGUF's tokenizer.ggml.token_type (llama.cpp's LLAMA_TOKEN_TYPE_*).
enum class TokenType : int32_t {
  kUndefined = 0,    //!< treated as kNormal
  kNormal = 1,       //!< an ordinary piece, reachable by merges
  kUnknown = 2,      //!< <unk>: stands for text the vocabulary cannot spell
  kControl = 3,      //!< <s>, </s>, ...: never produced from text, decoded as nothing
  kUserDefined = 4,  //!< matched literally in the text before merging, never merged further
  kUnused = 5,       //!< reachable by merges but split back into its two halves
  kByte = 6,         //!< <0xNN>: one raw byte, for byte fallback
};

//! Everything a LlamaTokenizer needs. Vectors are indexed by token id.
struct LlamaVocab {
  std::vector<std::string> tokens;  //!< piece text, "▁" (U+2581) standing for a space
  std::vector<float> scores;        //!< merge priority (higher merges first); empty = all 0
  std::vector<int32_t> token_types; //!< TokenType values; empty = all kNormal
  int32_t bos_id = -1;              //!< -1: none
  int32_t eos_id = -1;              //!< -1: none
  int32_t unk_id = -1;              //!< -1: the first kUnknown token, if any
  int32_t pad_id = -1;              //!< -1: none
  bool add_bos = true;              //!< the model expects BOS before a prompt
  bool add_eos = false;             //!< the model expects EOS after a prompt
  bool add_space_prefix = true;     //!< prepend "▁" to the text before encoding

  size_t size() const { return tokens.size(); }
  TokenType type(size_t id) const {
    return token_types.empty() ? TokenType::kNormal : static_cast<TokenType>(token_types[id]);
  }
  float score(size_t id) const { return scores.empty() ? 0.0f : scores[id]; }
};

//! Checks that the vectors agree in length, that every type is 0..6 and every
//! special id is -1 or a valid id. Duplicate pieces are allowed (the lowest id
//! wins when encoding).
Status ValidateLlamaVocab(const LlamaVocab& vocab);

//! "<0x41>" for 0x41: the piece text of a byte-fallback token.
std::string BytePieceText(uint8_t byte);

//! The byte a "<0xNN>" piece stands for (hex digits in either case), or -1.
int ParseBytePiece(const std::string& piece);

}  // namespace capsfusion
