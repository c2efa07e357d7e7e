#include "tokenizer/spm_model_writer.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace capsfusion {

namespace {

enum WireType : uint32_t { kVarint = 0, kLengthDelimited = 2, kFixed32 = 5 };

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutKey(uint32_t field, WireType wire, std::string* out) { PutVarint((uint64_t{field} << 3) | wire, out); }

// proto int32: a negative value is the 10-byte varint of its 64-bit extension.
void PutInt32(uint32_t field, int32_t v, std::string* out) {
  PutKey(field, kVarint, out);
  PutVarint(static_cast<uint64_t>(static_cast<int64_t>(v)), out);
}

void PutBool(uint32_t field, bool v, std::string* out) {
  PutKey(field, kVarint, out);
  PutVarint(v ? 1 : 0, out);
}

void PutBytes(uint32_t field, const std::string& bytes, std::string* out) {
  PutKey(field, kLengthDelimited, out);
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

void PutFloat(uint32_t field, float v, std::string* out) {
  PutKey(field, kFixed32, out);
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

}  // namespace

StatusOr<std::string> SentencePieceModelBytes(const LlamaVocab& vocab) {
  CF_RETURN_IF_ERROR(ValidateLlamaVocab(vocab));
  std::string out;
  bool has_bytes = false;
  int32_t unk = vocab.unk_id;
  for (size_t id = 0; id < vocab.size(); ++id) {
    const TokenType type = vocab.type(id);
    if (type == TokenType::kByte) has_bytes = true;
    if (unk < 0 && type == TokenType::kUnknown) unk = static_cast<int32_t>(id);
    std::string piece;
    PutBytes(1, vocab.tokens[id], &piece);
    PutFloat(2, vocab.score(id), &piece);
    // kUndefined is not a SentencePiece type: such pieces are ordinary ones.
    const int32_t t = type == TokenType::kUndefined ? static_cast<int32_t>(TokenType::kNormal)
                                                    : static_cast<int32_t>(type);
    PutInt32(3, t, &piece);
    PutBytes(1, piece, &out);
  }
  std::string trainer;
  PutInt32(3, 2, &trainer);  // BPE
  PutInt32(4, static_cast<int32_t>(vocab.size()), &trainer);
  PutBool(35, has_bytes, &trainer);
  PutInt32(40, unk, &trainer);
  PutInt32(41, vocab.bos_id, &trainer);
  PutInt32(42, vocab.eos_id, &trainer);
  PutInt32(43, vocab.pad_id, &trainer);
  PutBytes(2, trainer, &out);
  std::string normalizer;
  PutBytes(1, "identity", &normalizer);
  PutBool(3, vocab.add_space_prefix, &normalizer);
  PutBool(4, false, &normalizer);
  PutBool(5, true, &normalizer);
  PutBytes(3, normalizer, &out);
  return out;
}

Status WriteSentencePieceModel(const LlamaVocab& vocab, const std::string& path) {
  auto bytes = SentencePieceModelBytes(vocab);
  if (!bytes.ok()) return bytes.status();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return Status::IOError("cannot write " + path);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot write " + path);
  }
  return Status::OK();
}

}  // namespace capsfusion
