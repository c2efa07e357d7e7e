// LlamaTokenizer: LLaMA's SentencePiece BPE tokenizer, with libsentencepiece's ids
// (and llama.cpp's on text without user-defined pieces: docs/tokenizer.md).
//
// Encoding, step by step:
//  1. Normalisation. Every ' ' becomes "▁" (U+2581); with add_space_prefix one
//     "▁" is put before the text, once, at the very start (not after newlines or
//     after user-defined tokens). Nothing else changes: no Unicode normalisation,
//     whitespace runs and leading/trailing whitespace are kept (SentencePiece's
//     "identity" rule with remove_extra_whitespaces=false, as LLaMA uses). An
//     empty text gives no tokens, not a lone "▁".
//  2. Split into characters. User-defined tokens (type 4) are matched first, in
//     the normalised text, longest match at each position; each match is one
//     symbol that is never merged further. Everything else splits into UTF-8
//     characters; each byte of an ill-formed sequence is a character of its own.
//  3. Merging. Repeatedly merge the adjacent pair whose concatenation is the
//     best-scoring piece in the vocabulary (ties: leftmost pair). Only normal,
//     user-defined and unused pieces can be merge results; unknown, control and
//     byte tokens never are. A priority queue over adjacent pairs keeps this
//     O(n log n) in the text length.
//  4. Ids. A symbol that is an unused piece (type 5) is split back into the two
//     halves it was made from, as SentencePiece does. A symbol that is not a
//     piece falls back to byte tokens "<0xNN>" (type 6), one per byte; a byte
//     without its token gives the unknown token, and a run of consecutive
//     unknowns collapses into one (SentencePiece's rule without byte fallback).
//     With neither bytes nor an unknown token the symbol is dropped.
//
// Control tokens (<s>, </s>, ...) are never produced from text: "<s>" in a
// caption is spelled with ordinary pieces.
//
// Decoding joins the pieces, turns "▁" back into ' ', writes byte tokens as the
// raw bytes they stand for (ill-formed UTF-8 stays as those bytes, so
// Decode(Encode(x)) == x for any byte string x), skips control tokens and ids
// out of range, writes the unknown token as " ⁇ " (SentencePiece's default
// surface), and with add_space_prefix drops the leading space of the first
// non-control token when it is a piece starting with "▁".
//
// Decode(Encode(x)) == x for every x except: text holding "▁" (U+2581) itself,
// which decodes as ' '; and characters the vocabulary cannot spell when it has
// no byte tokens (they become the unknown token).
//
// Differences from libsentencepiece, all outside LLaMA's usual input: ill-formed
// UTF-8 is byte-encoded as is where SentencePiece first replaces each bad byte
// with U+FFFD; and decoding keeps bad bytes where SentencePiece writes U+FFFD.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"
#include "tokenizer/llama_vocab.h"
#include "tokenizer/piece_table.h"

namespace capsfusion {

class LlamaTokenizer final : public Tokenizer {
 public:
  //! Validates `vocab` (ValidateLlamaVocab) and builds the lookup tables.
  static StatusOr<std::unique_ptr<LlamaTokenizer>> Create(LlamaVocab vocab);

  std::vector<int32_t> Encode(std::string_view text, bool add_bos) const override;
  std::string Decode(const std::vector<int32_t>& ids) const override;
  size_t CountTokens(std::string_view text, bool add_bos) const override;
  int32_t bos_id() const override { return vocab_.bos_id; }
  int32_t eos_id() const override { return vocab_.eos_id; }
  size_t vocab_size() const override { return vocab_.size(); }
  std::string name() const override;
  int TokenByte(int32_t id) const override;

  //! Appends the ids of `text` to `ids` (no BOS/EOS).
  void EncodeAppend(std::string_view text, std::vector<int32_t>* ids) const;
  //! Encode with BOS and EOS as the model's add_bos / add_eos flags ask.
  std::vector<int32_t> EncodeForModel(std::string_view text) const;

  //! The id whose piece text is exactly `piece` (any type, lowest id), or -1.
  int32_t TokenId(std::string_view piece) const { return all_pieces_.Find(piece); }
  //! The piece text of `id` ("" when out of range).
  const std::string& TokenText(int32_t id) const;
  int32_t unk_id() const { return unk_id_; }
  int32_t pad_id() const { return vocab_.pad_id; }
  bool has_byte_fallback() const { return has_byte_fallback_; }
  const LlamaVocab& vocab() const { return vocab_; }

 private:
  struct Scratch;  // per-call working memory (llama_tokenizer.cc)
  explicit LlamaTokenizer(LlamaVocab vocab);
  void Build();
  void EncodeChunk(std::string_view text, bool space_prefix, Scratch* scratch, std::vector<int32_t>* ids) const;
  void Emit(std::string_view piece, int32_t id, const Scratch& scratch, std::vector<int32_t>* ids,
            bool* last_unk) const;
  void EmitFallback(std::string_view piece, std::vector<int32_t>* ids, bool* last_unk) const;

  LlamaVocab vocab_;
  std::vector<TokenType> types_;       // effective type per id (kUndefined -> kNormal)
  std::vector<float> scores_;          // per id; NaN replaced by the lowest float
  std::vector<std::string> surfaces_;  // decoded text per id
  std::vector<uint8_t> strip_space_;   // 1: the surface starts with a space from "▁"
  PieceTable mergeable_;               // normal, user-defined and unused pieces
  PieceTable all_pieces_;              // every piece
  std::array<int32_t, 256> byte_ids_;  // byte -> its <0xNN> token, or -1
  bool has_byte_fallback_ = false;
  bool has_unused_ = false;
  int32_t unk_id_ = -1;
  // User-defined pieces: their distinct lengths (longest first) and first bytes.
  std::vector<size_t> user_lengths_;
  std::array<bool, 256> user_first_byte_{};
};

}  // namespace capsfusion
