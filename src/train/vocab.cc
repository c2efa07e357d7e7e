#include "train/vocab.h"

#include "tokenizer/spm_model.h"

namespace capsfusion::train {

StatusOr<std::unique_ptr<Vocab>> Vocab::Load(const std::string& path) {
  auto v = LoadSentencePieceModel(path, /*require_compatible=*/true);
  if (!v.ok()) return v.status().WithContext(path);
  auto tok = LlamaTokenizer::Create(std::move(*v));
  if (!tok.ok()) return tok.status().WithContext(path);
  std::unique_ptr<Vocab> out(new Vocab());
  out->tokenizer_ = std::move(*tok);
  return out;
}

bool Vocab::IsSpecial(int32_t id) const {
  if (id < 0 || id >= size()) return true;
  TokenType t = tokenizer_->vocab().type(static_cast<size_t>(id));
  return t == TokenType::kControl || t == TokenType::kUnknown || t == TokenType::kUserDefined;
}

bool Vocab::IsUserDefined(int32_t id) const {
  return id >= 0 && id < size() && tokenizer_->vocab().type(static_cast<size_t>(id)) == TokenType::kUserDefined;
}

}  // namespace capsfusion::train
