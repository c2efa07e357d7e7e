#include "train/example.h"

#include "train/sp_trainer.h"

namespace capsfusion::train {

std::vector<uint8_t> CopySources(const std::vector<int32_t>& prompt, const Vocab& vocab, int32_t end_id) {
  std::vector<uint8_t> src(prompt.size(), 0);
  for (size_t i = 0; i < prompt.size(); ++i) {
    if (prompt[i] == end_id) break;
    src[i] = vocab.IsSpecial(prompt[i]) ? 0 : 1;
  }
  return src;
}

StatusOr<ExampleBuilder> ExampleBuilder::Create(const Vocab* vocab, const std::string& tmpl,
                                                const DataOptions& options) {
  ExampleBuilder b;
  b.vocab_ = vocab;
  b.template_ = PromptTemplate{"compact", tmpl};
  CF_RETURN_IF_ERROR(b.template_.Validate());
  b.max_raw_ = options.max_raw_tokens;
  b.max_synthetic_ = options.max_synthetic_tokens;
  b.max_target_ = options.max_target_tokens;
  if (b.max_raw_ < 1 || b.max_synthetic_ < 1 || b.max_target_ < 2) {
    return Status::InvalidArgument("token limits must be at least 1 (raw, synthetic) and 2 (target)");
  }
  std::vector<std::string> special = TemplateSpecialPieces(tmpl);
  if (special.empty() || tmpl.size() < special.back().size() ||
      tmpl.compare(tmpl.size() - special.back().size(), std::string::npos, special.back()) != 0) {
    return Status::InvalidArgument("prompt template '" + tmpl + "' must end with a special piece such as <fus>");
  }
  for (const std::string& s : special) {
    if (!vocab->IsUserDefined(vocab->PieceId(s))) {
      return Status::InvalidArgument("the tokenizer has no user-defined piece " + s + " of the prompt template");
    }
  }
  b.end_id_ = vocab->PieceId(special.back());
  return b;
}

std::string ExampleBuilder::Cut(const std::string& text, int max_tokens) const {
  std::vector<int32_t> ids = vocab_->Encode(text);
  if (ids.size() <= static_cast<size_t>(max_tokens)) return text;
  ids.resize(max_tokens);
  return vocab_->Decode(ids);
}

std::vector<int32_t> ExampleBuilder::Prompt(const std::string& raw, const std::string& synthetic,
                                            std::vector<uint8_t>* source) const {
  std::vector<int32_t> ids =
      vocab_->Encode(template_.Fill(Cut(raw, max_raw_), Cut(synthetic, max_synthetic_)), /*add_bos=*/true);
  if (source != nullptr) *source = CopySources(ids, *vocab_, end_id_);
  return ids;
}

std::vector<int32_t> ExampleBuilder::Target(const std::string& text) const {
  std::vector<int32_t> ids = vocab_->Encode(text);
  if (ids.size() >= static_cast<size_t>(max_target_)) {
    ids.resize(max_target_);
  } else {
    ids.push_back(vocab_->eos_id());
  }
  return ids;
}

Example ExampleBuilder::Build(const Triplet& t) const {
  Example e;
  e.prompt = Prompt(t.raw, t.synthetic, &e.source);
  e.target = Target(t.target);
  return e;
}

Example ExampleBuilder::BuildLm(const std::string& text) const {
  Example e;
  e.lm = true;
  e.prompt = {vocab_->bos_id()};
  e.source = {0};
  e.target = Target(text);
  return e;
}

}  // namespace capsfusion::train
