// The LLaMA tokenizer in GGUF metadata: reading it (LoadLlamaTokenizer) and
// writing it (WriteLlamaVocab, for the trainer's exporter).
//
// Keys (GGUF spec, "tokenizer.ggml.*", plus llama.cpp's flags):
//   tokenizer.ggml.model              STRING          must be "llama" (SentencePiece BPE)
//   tokenizer.ggml.tokens             ARRAY<STRING>   piece text per id (required)
//   tokenizer.ggml.scores             ARRAY<FLOAT32>  optional; absent = all 0
//   tokenizer.ggml.token_type         ARRAY<INT32>    optional; absent = all normal (TokenType)
//   tokenizer.ggml.bos_token_id       UINT32          absent = 1 (llama.cpp's default)
//   tokenizer.ggml.eos_token_id       UINT32          absent = 2
//   tokenizer.ggml.unknown_token_id   UINT32          absent = 0
//   tokenizer.ggml.padding_token_id   UINT32          absent = none
//   tokenizer.ggml.add_bos_token      BOOL            absent = true
//   tokenizer.ggml.add_eos_token      BOOL            absent = false
//   tokenizer.ggml.add_space_prefix   BOOL            absent = true
// A default id that is not a token id means "none". An id stored as -1 (any
// signed type) or 0xFFFFFFFF also means none; any other id outside the
// vocabulary is an error, as are arrays of different lengths.
#pragma once

#include <memory>

#include "capsfusion/status.h"
#include "tokenizer/llama_tokenizer.h"
#include "tokenizer/llama_vocab.h"

namespace capsfusion {

namespace gguf {
class GgufFile;
class GgufWriter;
}  // namespace gguf

inline constexpr const char* kTokenizerModelKey = "tokenizer.ggml.model";
inline constexpr const char* kTokenizerTokensKey = "tokenizer.ggml.tokens";
inline constexpr const char* kTokenizerScoresKey = "tokenizer.ggml.scores";
inline constexpr const char* kTokenizerTokenTypeKey = "tokenizer.ggml.token_type";
inline constexpr const char* kTokenizerBosIdKey = "tokenizer.ggml.bos_token_id";
inline constexpr const char* kTokenizerEosIdKey = "tokenizer.ggml.eos_token_id";
inline constexpr const char* kTokenizerUnkIdKey = "tokenizer.ggml.unknown_token_id";
inline constexpr const char* kTokenizerPadIdKey = "tokenizer.ggml.padding_token_id";
inline constexpr const char* kTokenizerAddBosKey = "tokenizer.ggml.add_bos_token";
inline constexpr const char* kTokenizerAddEosKey = "tokenizer.ggml.add_eos_token";
inline constexpr const char* kTokenizerAddSpacePrefixKey = "tokenizer.ggml.add_space_prefix";
inline constexpr const char* kLlamaTokenizerModel = "llama";

//! The vocabulary in `file`'s metadata. NotFound without tokenizer.ggml.model
//! or tokens; NotSupported when the model is not "llama" (e.g. "gpt2" BPE);
//! InvalidArgument for wrongly typed or inconsistent keys. Errors name the key.
StatusOr<LlamaVocab> ReadLlamaVocab(const gguf::GgufFile& file);

//! ReadLlamaVocab, then LlamaTokenizer::Create.
StatusOr<std::unique_ptr<LlamaTokenizer>> LoadLlamaTokenizer(const gguf::GgufFile& file);

//! Sets every key above on `writer` from `vocab`. Scores and types are written
//! in full even when the vocab leaves them empty; a BOS, EOS or unknown id of -1
//! is written as 0xFFFFFFFF (so it does not read back as the default), a padding
//! id of -1 is left out. InvalidArgument, with nothing written, when the vocab does not
//! pass ValidateLlamaVocab.
Status WriteLlamaVocab(const LlamaVocab& vocab, gguf::GgufWriter* writer);

}  // namespace capsfusion
