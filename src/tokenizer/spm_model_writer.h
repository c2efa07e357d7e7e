// Writing a LlamaVocab as a SentencePiece model (.model, a serialized
// sentencepiece.ModelProto), without libsentencepiece or protobuf.
//
// The inverse of spm_model.h for the models LlamaTokenizer reproduces: a BPE
// model (TrainerSpec.model_type 2) with the vocabulary's pieces, scores and
// types, its byte fallback (on when it has <0xNN> pieces), its unk/bos/eos/pad
// ids, and an identity normaliser that keeps extra whitespace, escapes spaces
// as "▁" and adds the dummy prefix when the vocabulary does (add_space_prefix).
// Fields written:
//   ModelProto      1 pieces, 2 trainer_spec, 3 normalizer_spec
//   SentencePiece   1 piece, 2 score, 3 type
//   TrainerSpec     3 model_type, 4 vocab_size, 35 byte_fallback, 40 unk_id,
//                   41 bos_id, 42 eos_id, 43 pad_id
//   NormalizerSpec  1 name, 3 add_dummy_prefix, 4 remove_extra_whitespaces,
//                   5 escape_whitespaces
// libsentencepiece loads the result and encodes as LlamaTokenizer does; the
// trainer uses it to start a run from a GGUF file's tokenizer
// (`capsfusion train --init`).
#pragma once

#include <string>

#include "capsfusion/status.h"
#include "tokenizer/llama_vocab.h"

namespace capsfusion {

//! The serialized ModelProto of `vocab`. InvalidArgument when the vocabulary
//! does not pass ValidateLlamaVocab.
StatusOr<std::string> SentencePieceModelBytes(const LlamaVocab& vocab);

//! Writes SentencePieceModelBytes(vocab) to `path` (a temporary file renamed).
Status WriteSentencePieceModel(const LlamaVocab& vocab, const std::string& path);

}  // namespace capsfusion
