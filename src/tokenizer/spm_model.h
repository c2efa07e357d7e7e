// Reading a SentencePiece model (.model, a serialized sentencepiece.ModelProto)
// into a LlamaVocab, without libsentencepiece or protobuf.
//
// Only the fields the tokenizer needs are decoded (the protobuf wire format is
// walked by hand; unknown fields are skipped):
//   ModelProto      1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec
//   SentencePiece   1 piece, 2 score, 3 type
//   TrainerSpec     3 model_type, 35 byte_fallback, 40 unk_id, 41 bos_id, 42 eos_id, 43 pad_id
//   NormalizerSpec  1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
//                   4 remove_extra_whitespaces, 5 escape_whitespaces
// plus TrainerSpec 24 treat_whitespace_as_suffix.
//
// The trainer (src/train) and tests use this to turn a model trained with
// SentencePieceTrainer into the vocabulary that goes into a GGUF file; it also
// reads LLaMA's own tokenizer.model.
#pragma once

#include <string>
#include <string_view>

#include "capsfusion/status.h"
#include "tokenizer/llama_vocab.h"

namespace capsfusion {

//! SentencePieceTrainer flags that give a LLaMA-style tokenizer (add
//! --vocab_size=N and the input): BPE; byte fallback, so any text can be
//! spelled; digits split one by one; whitespace-only pieces allowed (runs of
//! spaces in code and ASCII art); no Unicode normalisation ("identity"), extra
//! whitespace kept and a "▁" prefix added, which is what LlamaTokenizer
//! reproduces; <unk>=0, <s>=1, </s>=2 and no padding piece, as in LLaMA. LLaMA
//! used character_coverage 0.99995 on a web-scale corpus; on caption-sized
//! corpora 1.0 keeps every character seen in training as a piece (unseen ones
//! still byte-fall-back).
inline constexpr const char* kLlamaSpmTrainerFlags =
    "--model_type=bpe --byte_fallback=true --character_coverage=1.0 --split_digits=true "
    "--allow_whitespace_only_pieces=true --remove_extra_whitespaces=false --normalization_rule_name=identity "
    "--add_dummy_prefix=true --split_by_unicode_script=true --split_by_whitespace=true "
    "--max_sentencepiece_length=16 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1";

//! The parts of a SentencePiece model that decide whether LlamaTokenizer
//! reproduces it. Defaults are the protobuf defaults.
struct SpmModelInfo {
  int model_type = 1;  //!< 1 unigram, 2 BPE, 3 word, 4 char
  bool byte_fallback = false;
  bool treat_whitespace_as_suffix = false;
  std::string normalizer_name;
  bool has_precompiled_charsmap = false;  //!< a non-identity normalisation table
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

//! Decodes a serialized ModelProto. Corruption on malformed bytes. With
//! `require_compatible`, NotSupported unless LlamaTokenizer encodes exactly as
//! SentencePiece does for it: a BPE model, no normalisation table, whitespace
//! escaped as "▁" as a prefix, extra whitespace kept. `info` (optional)
//! receives the decoded settings even when the model is refused.
StatusOr<LlamaVocab> LlamaVocabFromSentencePiece(std::string_view serialized, bool require_compatible = true,
                                                 SpmModelInfo* info = nullptr);

//! Reads the file at `path` and decodes it as above.
StatusOr<LlamaVocab> LoadSentencePieceModel(const std::string& path, bool require_compatible = true,
                                            SpmModelInfo* info = nullptr);

}  // namespace capsfusion
