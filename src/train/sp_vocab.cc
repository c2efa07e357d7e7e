#include "train/sp_vocab.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <set>

namespace capsfusion::train {

namespace {

//! Feeds the training texts to the SentencePiece trainer without a temp file.
class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& texts) : texts_(texts) {}
  bool done() const override { return i_ >= texts_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return texts_[i_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string>& texts_;
  size_t i_ = 0;
};

Status FromSp(const sentencepiece::util::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  return Status::InvalidArgument(what + ": " + s.ToString());
}

std::string Join(const std::vector<std::string>& v, char sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back(sep);
    out += s;
  }
  return out;
}

}  // namespace

SpVocab::~SpVocab() = default;

std::vector<std::string> TemplateSpecialPieces(const std::string& tmpl) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '<') continue;
    size_t j = tmpl.find('>', i);
    if (j == std::string::npos) break;
    std::string piece = tmpl.substr(i, j - i + 1);
    if (piece.find_first_of(" {}<", 1) == std::string::npos && seen.insert(piece).second) out.push_back(piece);
    i = j;
  }
  return out;
}

Status SpVocab::Train(const std::vector<std::string>& texts, const std::vector<std::string>& special,
                      const TokenizerOptions& options, int threads, const std::string& path) {
  if (texts.empty()) return Status::InvalidArgument("no text to train the tokenizer on");
  if (options.vocab_size < 300) {
    return Status::InvalidArgument("vocabulary size " + std::to_string(options.vocab_size) +
                                   " is too small (byte fallback alone needs 259 pieces)");
  }
  for (const std::string& s : special) {
    if (s.find(',') != std::string::npos) return Status::InvalidArgument("special piece with a comma: " + s);
  }
  std::unordered_map<std::string, std::string> kw = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(options.vocab_size)},
      {"character_coverage", std::to_string(options.character_coverage)},
      {"byte_fallback", "true"},
      {"split_digits", "true"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"unk_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"pad_id", "-1"},
      {"max_sentence_length", "16384"},
      {"hard_vocab_limit", "false"},
      {"num_threads", std::to_string(threads > 0 ? threads : 1)},
      {"minloglevel", "2"},
  };
  if (!special.empty()) kw["user_defined_symbols"] = Join(special, ',');
  VectorIterator it(texts);
  std::string serialized;
  CF_RETURN_IF_ERROR(FromSp(sentencepiece::SentencePieceTrainer::Train(kw, &it, &serialized), "tokenizer training"));
  std::ofstream out(path, std::ios::binary);
  out.write(serialized.data(), static_cast<std::streamsize>(serialized.size()));
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

StatusOr<std::unique_ptr<SpVocab>> SpVocab::FromSerialized(const std::string& bytes) {
  std::unique_ptr<SpVocab> v(new SpVocab());
  v->sp_ = std::make_unique<sentencepiece::SentencePieceProcessor>();
  CF_RETURN_IF_ERROR(FromSp(v->sp_->LoadFromSerializedProto(bytes), "tokenizer model"));
  v->serialized_ = bytes;
  int n = v->sp_->GetPieceSize();
  v->types_.resize(n, PieceType::kNormal);
  // User-defined pieces are neither control, unknown, byte nor unused, and have
  // score 0 like no learned BPE merge does; pieces of the form <...> with those
  // properties are taken as user-defined.
  for (int i = 0; i < n; ++i) {
    const std::string& p = v->sp_->IdToPiece(i);
    if (v->sp_->IsUnknown(i)) {
      v->types_[i] = PieceType::kUnknown;
    } else if (v->sp_->IsControl(i)) {
      v->types_[i] = PieceType::kControl;
    } else if (v->sp_->IsByte(i)) {
      v->types_[i] = PieceType::kByte;
    } else if (v->sp_->IsUnused(i)) {
      v->types_[i] = PieceType::kUnused;
    } else if (p.size() > 2 && p.front() == '<' && p.back() == '>' && v->sp_->GetScore(i) == 0.0f) {
      v->types_[i] = PieceType::kUserDefined;
    }
  }
  return v;
}

StatusOr<std::unique_ptr<SpVocab>> SpVocab::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open tokenizer model " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = FromSerialized(ss.str());
  if (!v.ok()) return v.status().WithContext(path);
  return v;
}

std::vector<int32_t> SpVocab::Encode(std::string_view text) const {
  std::vector<int> ids;
  sp_->Encode(text, &ids).IgnoreError();
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string SpVocab::Decode(const std::vector<int32_t>& ids) const {
  std::vector<int> v;
  v.reserve(ids.size());
  for (int32_t id : ids) {
    if (id >= 0 && id < size() && types_[id] != PieceType::kControl) v.push_back(id);
  }
  std::string out;
  sp_->Decode(v, &out).IgnoreError();
  return out;
}

int32_t SpVocab::PieceId(std::string_view piece) const {
  int id = sp_->PieceToId(piece);
  if (id == sp_->unk_id() && piece != sp_->IdToPiece(id)) return -1;
  return id;
}

int32_t SpVocab::size() const { return sp_->GetPieceSize(); }
int32_t SpVocab::bos_id() const { return sp_->bos_id(); }
int32_t SpVocab::eos_id() const { return sp_->eos_id(); }
int32_t SpVocab::unk_id() const { return sp_->unk_id(); }

bool SpVocab::IsSpecial(int32_t id) const {
  if (id < 0 || id >= size()) return true;
  PieceType t = types_[id];
  return t == PieceType::kControl || t == PieceType::kUnknown || t == PieceType::kUserDefined;
}

std::vector<Piece> SpVocab::Pieces() const {
  std::vector<Piece> out(size());
  for (int i = 0; i < size(); ++i) out[i] = Piece{sp_->IdToPiece(i), sp_->GetScore(i), types_[i]};
  return out;
}

}  // namespace capsfusion::train
