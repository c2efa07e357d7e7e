#include "train/example.h"

namespace capsfusion::train {

namespace {

//! Splits a run of special pieces ("<syn><x>") into ids; false if any part is not one.
bool SpecialIds(const SpVocab& vocab, const std::string& text, std::vector<int32_t>* ids) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '<') return false;
    size_t j = text.find('>', i);
    if (j == std::string::npos) return false;
    int32_t id = vocab.PieceId(text.substr(i, j - i + 1));
    if (id < 0 || !vocab.IsSpecial(id)) return false;
    ids->push_back(id);
    i = j + 1;
  }
  return true;
}

}  // namespace

StatusOr<ExampleBuilder> ExampleBuilder::Create(const SpVocab* vocab, const std::string& tmpl,
                                                const DataOptions& options) {
  ExampleBuilder b;
  b.vocab_ = vocab;
  b.max_raw_ = options.max_raw_tokens;
  b.max_synthetic_ = options.max_synthetic_tokens;
  b.max_target_ = options.max_target_tokens;
  if (b.max_raw_ < 1 || b.max_synthetic_ < 1 || b.max_target_ < 2) {
    return Status::InvalidArgument("token limits must be at least 1 (raw, synthetic) and 2 (target)");
  }
  size_t pos = 0;
  int seen_raw = 0, seen_syn = 0;
  while (pos <= tmpl.size()) {
    size_t r = tmpl.find("{raw}", pos), s = tmpl.find("{synthetic}", pos);
    size_t next = std::min(r, s);
    std::string literal = tmpl.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    if (!literal.empty()) {
      Part p;
      if (!SpecialIds(*vocab, literal, &p.ids)) {
        return Status::InvalidArgument("prompt template '" + tmpl + "': the text '" + literal +
                                       "' is not made of the tokenizer's special pieces (like <raw>)");
      }
      b.parts_.push_back(std::move(p));
    }
    if (next == std::string::npos) break;
    Part f;
    f.field = next == r ? 0 : 1;
    (f.field == 0 ? seen_raw : seen_syn)++;
    b.parts_.push_back(std::move(f));
    pos = next + (next == r ? 5 : 11);
  }
  if (seen_raw != 1 || seen_syn != 1) {
    return Status::InvalidArgument("prompt template '" + tmpl + "' must contain {raw} and {synthetic} exactly once");
  }
  return b;
}

std::vector<int32_t> ExampleBuilder::Prompt(const std::string& raw, const std::string& synthetic,
                                            std::vector<uint8_t>* source) const {
  std::vector<int32_t> ids = {vocab_->bos_id()};
  std::vector<uint8_t> src = {0};
  for (const Part& p : parts_) {
    if (p.field < 0) {
      ids.insert(ids.end(), p.ids.begin(), p.ids.end());
      src.insert(src.end(), p.ids.size(), 0);
      continue;
    }
    std::vector<int32_t> t = vocab_->Encode(p.field == 0 ? raw : synthetic);
    size_t limit = static_cast<size_t>(p.field == 0 ? max_raw_ : max_synthetic_);
    if (t.size() > limit) t.resize(limit);
    for (int32_t id : t) {
      ids.push_back(id);
      src.push_back(vocab_->IsSpecial(id) ? 0 : 1);
    }
  }
  if (source != nullptr) *source = std::move(src);
  return ids;
}

Example ExampleBuilder::Build(const Triplet& t) const {
  Example e;
  e.prompt = Prompt(t.raw, t.synthetic, &e.source);
  e.target = vocab_->Encode(t.target);
  if (e.target.size() >= static_cast<size_t>(max_target_)) {
    e.target.resize(max_target_);
  } else {
    e.target.push_back(vocab_->eos_id());
  }
  return e;
}

Example ExampleBuilder::BuildLm(const std::string& text) const {
  Example e;
  e.lm = true;
  e.prompt = {vocab_->bos_id()};
  e.source = {0};
  e.target = vocab_->Encode(text);
  if (e.target.size() >= static_cast<size_t>(max_target_)) {
    e.target.resize(max_target_);
  } else {
    e.target.push_back(vocab_->eos_id());
  }
  return e;
}

}  // namespace capsfusion::train
