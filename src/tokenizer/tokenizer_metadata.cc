#include "tokenizer/tokenizer_metadata.h"

#include <cstdint>

#include "gguf/gguf.h"

namespace capsfusion {

namespace {

// A special id: `fallback` when the key is absent (none if not a token id),
// -1 for the "none" encodings, an error for any other id outside the vocabulary.
Status ReadSpecialId(const gguf::GgufFile& file, const char* key, int32_t fallback, size_t n, int32_t* out) {
  const gguf::Value* v = file.Find(key);
  if (v == nullptr) {
    *out = fallback >= 0 && static_cast<size_t>(fallback) < n ? fallback : -1;
    return Status::OK();
  }
  int64_t id = 0;
  if (!v->AsInt64(&id)) {
    uint64_t big = 0;
    const bool integer = v->AsUint64(&big);  // fits uint64 but not int64
    return Status::InvalidArgument(std::string(key) + (integer ? " = " + std::to_string(big) + " is not a token id"
                                                                : std::string(" is ") +
                                                                      gguf::ValueTypeName(v->type()) +
                                                                      ", expected an integer token id"));
  }
  if (id == -1 || id == 0xFFFFFFFFll) {
    *out = -1;
    return Status::OK();
  }
  if (id < 0 || static_cast<uint64_t>(id) >= n) {
    return Status::InvalidArgument(std::string(key) + " = " + std::to_string(id) +
                                   " is not a token id (vocabulary of " + std::to_string(n) + ")");
  }
  *out = static_cast<int32_t>(id);
  return Status::OK();
}

Status ReadFlag(const gguf::GgufFile& file, const char* key, bool fallback, bool* out) {
  if (!file.Has(key)) {
    *out = fallback;
    return Status::OK();
  }
  StatusOr<bool> v = file.GetBool(key);
  if (!v.ok()) return v.status();
  *out = *v;
  return Status::OK();
}

}  // namespace

StatusOr<LlamaVocab> ReadLlamaVocab(const gguf::GgufFile& file) {
  StatusOr<std::string> model = file.GetString(kTokenizerModelKey);
  if (!model.ok()) return model.status();
  if (*model != kLlamaTokenizerModel) {
    return Status::NotSupported(std::string(kTokenizerModelKey) + " is \"" + *model +
                                "\"; only \"llama\" (SentencePiece BPE) tokenizers are supported");
  }
  LlamaVocab vocab;
  StatusOr<std::vector<std::string>> tokens = file.GetStringArray(kTokenizerTokensKey);
  if (!tokens.ok()) return tokens.status();
  vocab.tokens = std::move(*tokens);
  const size_t n = vocab.tokens.size();
  if (file.Has(kTokenizerScoresKey)) {
    StatusOr<std::vector<float>> scores = file.GetFloat32Array(kTokenizerScoresKey);
    if (!scores.ok()) return scores.status();
    vocab.scores = std::move(*scores);
  }
  if (file.Has(kTokenizerTokenTypeKey)) {
    StatusOr<std::vector<int32_t>> types = file.GetInt32Array(kTokenizerTokenTypeKey);
    if (!types.ok()) return types.status();
    vocab.token_types = std::move(*types);
  }
  CF_RETURN_IF_ERROR(ReadSpecialId(file, kTokenizerBosIdKey, 1, n, &vocab.bos_id));
  CF_RETURN_IF_ERROR(ReadSpecialId(file, kTokenizerEosIdKey, 2, n, &vocab.eos_id));
  CF_RETURN_IF_ERROR(ReadSpecialId(file, kTokenizerUnkIdKey, 0, n, &vocab.unk_id));
  CF_RETURN_IF_ERROR(ReadSpecialId(file, kTokenizerPadIdKey, -1, n, &vocab.pad_id));
  CF_RETURN_IF_ERROR(ReadFlag(file, kTokenizerAddBosKey, true, &vocab.add_bos));
  CF_RETURN_IF_ERROR(ReadFlag(file, kTokenizerAddEosKey, false, &vocab.add_eos));
  CF_RETURN_IF_ERROR(ReadFlag(file, kTokenizerAddSpacePrefixKey, true, &vocab.add_space_prefix));
  CF_RETURN_IF_ERROR(ValidateLlamaVocab(vocab).WithContext("GGUF tokenizer metadata"));
  return vocab;
}

StatusOr<std::unique_ptr<LlamaTokenizer>> LoadLlamaTokenizer(const gguf::GgufFile& file) {
  StatusOr<LlamaVocab> vocab = ReadLlamaVocab(file);
  if (!vocab.ok()) {
    return file.path().empty() ? vocab.status() : vocab.status().WithContext(file.path());
  }
  return LlamaTokenizer::Create(std::move(*vocab));
}

Status WriteLlamaVocab(const LlamaVocab& vocab, gguf::GgufWriter* writer) {
  CF_RETURN_IF_ERROR(ValidateLlamaVocab(vocab));
  const size_t n = vocab.size();
  writer->SetString(kTokenizerModelKey, kLlamaTokenizerModel);
  writer->SetStringArray(kTokenizerTokensKey, vocab.tokens);
  writer->SetFloat32Array(kTokenizerScoresKey, vocab.scores.empty() ? std::vector<float>(n, 0.0f) : vocab.scores);
  writer->SetInt32Array(kTokenizerTokenTypeKey,
                        vocab.token_types.empty()
                            ? std::vector<int32_t>(n, static_cast<int32_t>(TokenType::kNormal))
                            : vocab.token_types);
  // Absent BOS/EOS/unknown ids would read back as the defaults 1, 2 and 0, so
  // "none" is written as 0xFFFFFFFF (llama.cpp warns and keeps its default).
  auto set_id = [&](const char* key, int32_t id) {
    writer->SetUint32(key, id >= 0 ? static_cast<uint32_t>(id) : 0xFFFFFFFFu);
  };
  set_id(kTokenizerBosIdKey, vocab.bos_id);
  set_id(kTokenizerEosIdKey, vocab.eos_id);
  set_id(kTokenizerUnkIdKey, vocab.unk_id);
  if (vocab.pad_id >= 0) set_id(kTokenizerPadIdKey, vocab.pad_id);
  writer->SetBool(kTokenizerAddBosKey, vocab.add_bos);
  writer->SetBool(kTokenizerAddEosKey, vocab.add_eos);
  writer->SetBool(kTokenizerAddSpacePrefixKey, vocab.add_space_prefix);
  return Status::OK();
}

}  // namespace capsfusion
