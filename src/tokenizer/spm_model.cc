#include "tokenizer/spm_model.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>

namespace capsfusion {

namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Walks one protobuf message's fields. Every read is bounds-checked; the first
// problem is kept in status() and ends the walk.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view bytes) : data_(bytes) {}

  //! Reads the next field key; false at the end of the message or on error.
  bool Next() {
    if (!status_.ok() || pos_ >= data_.size()) return false;
    uint64_t key;
    if (!ReadVarint(&key)) return false;
    field_ = static_cast<uint32_t>(key >> 3);
    wire_ = static_cast<uint32_t>(key & 7);
    if (field_ == 0) return Fail("field number 0");
    return true;
  }
  uint32_t field() const { return field_; }
  uint32_t wire() const { return wire_; }

  bool Varint(uint64_t* v) { return Expect(kVarint) && ReadVarint(v); }
  bool Bytes(std::string_view* v) {
    uint64_t len;
    if (!Expect(kLengthDelimited) || !ReadVarint(&len)) return false;
    if (len > data_.size() - pos_) return Fail("length-delimited field runs past the end");
    *v = data_.substr(pos_, len);
    pos_ += len;
    return true;
  }
  bool Float(float* v) {
    if (!Expect(kFixed32)) return false;
    if (data_.size() - pos_ < 4) return Fail("fixed32 field runs past the end");
    uint32_t bits = 0;
    for (int i = 0; i < 4; ++i) bits |= static_cast<uint32_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    std::memcpy(v, &bits, 4);
    pos_ += 4;
    return true;
  }
  bool Skip() {
    switch (wire_) {
      case kVarint: {
        uint64_t v;
        return ReadVarint(&v);
      }
      case kFixed64:
        if (data_.size() - pos_ < 8) return Fail("fixed64 field runs past the end");
        pos_ += 8;
        return true;
      case kLengthDelimited: {
        std::string_view v;
        return Bytes(&v);
      }
      case kFixed32:
        if (data_.size() - pos_ < 4) return Fail("fixed32 field runs past the end");
        pos_ += 4;
        return true;
      default:
        return Fail("unsupported wire type " + std::to_string(wire_));
    }
  }
  const Status& status() const { return status_; }

 private:
  bool Expect(uint32_t wire) {
    if (wire_ == wire) return true;
    return Fail("field " + std::to_string(field_) + " has wire type " + std::to_string(wire_) + ", expected " +
                std::to_string(wire));
  }
  bool ReadVarint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return Fail("varint runs past the end");
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return Fail("varint longer than 10 bytes");
  }
  bool Fail(const std::string& why) {
    if (status_.ok()) status_ = Status::Corruption("SentencePiece model: " + why + " at byte " + std::to_string(pos_));
    return false;
  }

  std::string_view data_;
  size_t pos_ = 0;
  uint32_t field_ = 0;
  uint32_t wire_ = 0;
  Status status_;
};

// proto int32 fields hold negative values as 10-byte varints of the 64-bit value.
int32_t AsInt32(uint64_t v) { return static_cast<int32_t>(static_cast<int64_t>(v)); }

Status ParsePiece(std::string_view bytes, LlamaVocab* vocab) {
  ProtoReader r(bytes);
  std::string_view piece;
  float score = 0.0f;
  uint64_t type = 1;  // NORMAL
  while (r.Next()) {
    bool ok = true;
    switch (r.field()) {
      case 1: ok = r.Bytes(&piece); break;
      case 2: ok = r.Float(&score); break;
      case 3: ok = r.Varint(&type); break;
      default: ok = r.Skip(); break;
    }
    if (!ok) break;
  }
  CF_RETURN_IF_ERROR(r.status());
  if (type < 1 || type > 6) {
    return Status::Corruption("SentencePiece model: piece " + std::to_string(vocab->tokens.size()) +
                              " has unknown type " + std::to_string(type));
  }
  vocab->tokens.emplace_back(piece);
  vocab->scores.push_back(score);
  vocab->token_types.push_back(static_cast<int32_t>(type));
  return Status::OK();
}

Status ParseTrainerSpec(std::string_view bytes, LlamaVocab* vocab, SpmModelInfo* info) {
  ProtoReader r(bytes);
  while (r.Next()) {
    uint64_t v = 0;
    bool ok = true;
    switch (r.field()) {
      case 3: ok = r.Varint(&v); info->model_type = AsInt32(v); break;
      case 24: ok = r.Varint(&v); info->treat_whitespace_as_suffix = v != 0; break;
      case 35: ok = r.Varint(&v); info->byte_fallback = v != 0; break;
      case 40: ok = r.Varint(&v); vocab->unk_id = AsInt32(v); break;
      case 41: ok = r.Varint(&v); vocab->bos_id = AsInt32(v); break;
      case 42: ok = r.Varint(&v); vocab->eos_id = AsInt32(v); break;
      case 43: ok = r.Varint(&v); vocab->pad_id = AsInt32(v); break;
      default: ok = r.Skip(); break;
    }
    if (!ok) break;
  }
  return r.status();
}

Status ParseNormalizerSpec(std::string_view bytes, SpmModelInfo* info) {
  ProtoReader r(bytes);
  while (r.Next()) {
    uint64_t v = 0;
    std::string_view s;
    bool ok = true;
    switch (r.field()) {
      case 1: ok = r.Bytes(&s); info->normalizer_name = std::string(s); break;
      case 2: ok = r.Bytes(&s); info->has_precompiled_charsmap = !s.empty(); break;
      case 3: ok = r.Varint(&v); info->add_dummy_prefix = v != 0; break;
      case 4: ok = r.Varint(&v); info->remove_extra_whitespaces = v != 0; break;
      case 5: ok = r.Varint(&v); info->escape_whitespaces = v != 0; break;
      default: ok = r.Skip(); break;
    }
    if (!ok) break;
  }
  return r.status();
}

Status CheckCompatible(const SpmModelInfo& info) {
  std::string why;
  if (info.model_type != 2) why = "model type " + std::to_string(info.model_type) + " is not BPE (2)";
  else if (info.has_precompiled_charsmap) why = "normalisation '" + info.normalizer_name + "' is not identity";
  else if (info.remove_extra_whitespaces) why = "remove_extra_whitespaces is on";
  else if (!info.escape_whitespaces) why = "escape_whitespaces is off";
  else if (info.treat_whitespace_as_suffix) why = "treat_whitespace_as_suffix is on";
  if (why.empty()) return Status::OK();
  return Status::NotSupported("SentencePiece model: " + why + "; LlamaTokenizer would not encode as it does");
}

}  // namespace

StatusOr<LlamaVocab> LlamaVocabFromSentencePiece(std::string_view serialized, bool require_compatible,
                                                 SpmModelInfo* info) {
  LlamaVocab vocab;
  // TrainerSpec defaults for the special ids.
  vocab.unk_id = 0;
  vocab.bos_id = 1;
  vocab.eos_id = 2;
  vocab.pad_id = -1;
  SpmModelInfo local;
  SpmModelInfo& settings = info != nullptr ? *info : local;
  settings = SpmModelInfo{};
  ProtoReader r(serialized);
  while (r.Next()) {
    std::string_view bytes;
    if (r.field() == 1 || r.field() == 2 || r.field() == 3) {
      if (!r.Bytes(&bytes)) break;
      if (r.field() == 1) CF_RETURN_IF_ERROR(ParsePiece(bytes, &vocab));
      if (r.field() == 2) CF_RETURN_IF_ERROR(ParseTrainerSpec(bytes, &vocab, &settings));
      if (r.field() == 3) CF_RETURN_IF_ERROR(ParseNormalizerSpec(bytes, &settings));
    } else if (!r.Skip()) {
      break;
    }
  }
  CF_RETURN_IF_ERROR(r.status());
  if (vocab.tokens.empty()) return Status::Corruption("SentencePiece model has no pieces");
  vocab.add_space_prefix = settings.add_dummy_prefix;
  // Special ids the trainer disabled are -1; others must name a piece.
  Status valid = ValidateLlamaVocab(vocab);
  if (!valid.ok()) return Status::Corruption("SentencePiece model: " + valid.message());
  if (require_compatible) CF_RETURN_IF_ERROR(CheckCompatible(settings));
  return vocab;
}

StatusOr<LlamaVocab> LoadSentencePieceModel(const std::string& path, bool require_compatible, SpmModelInfo* info) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read " + path);
  StatusOr<LlamaVocab> vocab = LlamaVocabFromSentencePiece(ss.str(), require_compatible, info);
  if (!vocab.ok()) return vocab.status().WithContext(path);
  return vocab;
}

}  // namespace capsfusion
