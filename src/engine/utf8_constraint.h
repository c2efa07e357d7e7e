// Well-formed UTF-8 output. A SentencePiece vocabulary with byte fallback has a
// token per byte ("<0xE2>"), so a model can write any byte string, including
// ill-formed UTF-8 (a lone continuation byte, a sequence cut short, an overlong
// form), which decodes to replacement characters. Utf8Constraint bans, at each
// step, every token that would make the bytes written so far ill-formed
// (RFC 3629, as Utf8CharLength in src/tokenizer/utf8.h): inside a multi-byte
// character only the byte tokens that may come next are allowed (EOS too is
// banned); between characters, byte tokens that cannot start one are banned.
// Text pieces are well-formed UTF-8 themselves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace capsfusion {
class Tokenizer;
}

namespace capsfusion::engine {

class Utf8Constraint {
 public:
  //! From `tokenizer`'s byte tokens (Tokenizer::TokenByte); a vocabulary
  //! without them needs no constraint (active() is false).
  Utf8Constraint(const Tokenizer& tokenizer, int64_t n_vocab);
  //! The same from a table of the byte each token stands for (-1: none).
  explicit Utf8Constraint(const std::vector<int16_t>& token_bytes);

  bool active() const { return active_; }

  //! Sets to -inf the score of every token that may not follow `generated`.
  void Apply(float* scores, int64_t n_vocab, const int32_t* generated, size_t n_generated) const;

  //! The bytes allowed next after `generated`: [*lo, *hi] for the next byte of
  //! an unfinished character (returns true), or false between characters.
  bool Pending(const int32_t* generated, size_t n_generated, uint8_t* lo, uint8_t* hi) const;

 private:
  void Build();
  int ByteOf(int32_t token) const;  // -1: not a byte token

  std::vector<int16_t> byte_of_;      // token -> byte, or -1
  std::vector<int32_t> byte_tokens_;  // the byte tokens
  bool active_ = false;
};

}  // namespace capsfusion::engine
