#include "tokenizer/llama_vocab.h"

#include <cstdio>
#include <limits>

namespace capsfusion {

namespace {

Status CheckSpecialId(const char* what, int32_t id, size_t n) {
  if (id == -1 || (id >= 0 && static_cast<size_t>(id) < n)) return Status::OK();
  return Status::InvalidArgument(std::string(what) + " " + std::to_string(id) +
                                 " is not a token id (vocabulary of " + std::to_string(n) + ")");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Status ValidateLlamaVocab(const LlamaVocab& vocab) {
  const size_t n = vocab.tokens.size();
  if (n == 0) return Status::InvalidArgument("tokenizer vocabulary is empty");
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Status::OutOfRange("tokenizer vocabulary has " + std::to_string(n) + " tokens");
  }
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return Status::InvalidArgument("tokenizer has " + std::to_string(n) + " tokens but " +
                                   std::to_string(vocab.scores.size()) + " scores");
  }
  if (!vocab.token_types.empty() && vocab.token_types.size() != n) {
    return Status::InvalidArgument("tokenizer has " + std::to_string(n) + " tokens but " +
                                   std::to_string(vocab.token_types.size()) + " token types");
  }
  size_t piece_bytes = 0;
  for (const std::string& t : vocab.tokens) piece_bytes += t.size();
  if (piece_bytes > std::numeric_limits<uint32_t>::max() / 2) {
    return Status::OutOfRange("tokenizer pieces hold " + std::to_string(piece_bytes) + " bytes");
  }
  for (size_t i = 0; i < vocab.token_types.size(); ++i) {
    const int32_t t = vocab.token_types[i];
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return Status::InvalidArgument("token " + std::to_string(i) + " has unknown type " + std::to_string(t));
    }
  }
  CF_RETURN_IF_ERROR(CheckSpecialId("BOS id", vocab.bos_id, n));
  CF_RETURN_IF_ERROR(CheckSpecialId("EOS id", vocab.eos_id, n));
  CF_RETURN_IF_ERROR(CheckSpecialId("unknown-token id", vocab.unk_id, n));
  CF_RETURN_IF_ERROR(CheckSpecialId("padding id", vocab.pad_id, n));
  return Status::OK();
}

std::string BytePieceText(uint8_t byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", static_cast<unsigned>(byte));
  return buf;
}

int ParseBytePiece(const std::string& piece) {
  if (piece.size() != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') return -1;
  const int hi = HexDigit(piece[3]), lo = HexDigit(piece[4]);
  if (hi < 0 || lo < 0) return -1;
  return hi * 16 + lo;
}

}  // namespace capsfusion
