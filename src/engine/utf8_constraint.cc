#include "engine/utf8_constraint.h"

#include <algorithm>
#include <limits>

#include "capsfusion/tokenizer.h"

namespace capsfusion::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// The decoder state between bytes: how many continuation bytes the current
// character still needs, and the range allowed for the next one.
struct State {
  int need = 0;
  uint8_t lo = 0x80, hi = 0xBF;
};

// Whether `b` may start a character.
bool IsLead(uint8_t b) { return b < 0x80 || (b >= 0xC2 && b <= 0xF4); }

void Step(State* s, uint8_t b) {
  if (s->need > 0) {
    if (b >= s->lo && b <= s->hi) {
      --s->need;
      s->lo = 0x80;
      s->hi = 0xBF;
      return;
    }
    *s = State{};  // already ill-formed (written without the constraint): start afresh
  }
  if (b < 0xC2 || b > 0xF4) return;  // ASCII, or a byte that cannot start a character
  s->need = b <= 0xDF ? 1 : b <= 0xEF ? 2 : 3;
  s->lo = b == 0xE0 ? 0xA0 : b == 0xF0 ? 0x90 : 0x80;
  s->hi = b == 0xED ? 0x9F : b == 0xF4 ? 0x8F : 0xBF;
}

}  // namespace

Utf8Constraint::Utf8Constraint(const Tokenizer& tokenizer, int64_t n_vocab) {
  byte_of_.assign(static_cast<size_t>(n_vocab > 0 ? n_vocab : 0), -1);
  for (int64_t id = 0; id < n_vocab; ++id) byte_of_[static_cast<size_t>(id)] = static_cast<int16_t>(tokenizer.TokenByte(static_cast<int32_t>(id)));
  Build();
}

Utf8Constraint::Utf8Constraint(const std::vector<int16_t>& token_bytes) : byte_of_(token_bytes) { Build(); }

void Utf8Constraint::Build() {
  byte_tokens_.clear();
  for (size_t id = 0; id < byte_of_.size(); ++id) {
    if (byte_of_[id] < 0 || byte_of_[id] > 255) {
      byte_of_[id] = -1;
      continue;
    }
    byte_tokens_.push_back(static_cast<int32_t>(id));
  }
  active_ = !byte_tokens_.empty();
}

int Utf8Constraint::ByteOf(int32_t token) const {
  return token >= 0 && static_cast<size_t>(token) < byte_of_.size() ? byte_of_[static_cast<size_t>(token)] : -1;
}

bool Utf8Constraint::Pending(const int32_t* generated, size_t n_generated, uint8_t* lo, uint8_t* hi) const {
  // Only the trailing run of byte tokens matters: a text piece ends any character.
  size_t from = n_generated;
  while (from > 0 && ByteOf(generated[from - 1]) >= 0) --from;
  State s;
  for (size_t i = from; i < n_generated; ++i) Step(&s, static_cast<uint8_t>(ByteOf(generated[i])));
  if (s.need == 0) return false;
  *lo = s.lo;
  *hi = s.hi;
  return true;
}

void Utf8Constraint::Apply(float* scores, int64_t n_vocab, const int32_t* generated, size_t n_generated) const {
  if (!active_) return;
  uint8_t lo = 0, hi = 0;
  if (Pending(generated, n_generated, &lo, &hi)) {
    // Inside a character: only the byte tokens that may come next stay (if the
    // vocabulary has none of them, nothing can finish it: leave the row be).
    const int64_t n = std::min<int64_t>(n_vocab, static_cast<int64_t>(byte_of_.size()));
    bool any = false;
    for (int32_t t : byte_tokens_) any |= t < n && byte_of_[static_cast<size_t>(t)] >= lo && byte_of_[static_cast<size_t>(t)] <= hi;
    if (!any) return;
    for (int64_t v = 0; v < n; ++v) {
      const int b = byte_of_[static_cast<size_t>(v)];
      if (b < lo || b > hi) scores[v] = kNegInf;
    }
    for (int64_t v = n; v < n_vocab; ++v) scores[v] = kNegInf;
    return;
  }
  for (int32_t t : byte_tokens_) {
    if (t < n_vocab && !IsLead(static_cast<uint8_t>(byte_of_[static_cast<size_t>(t)]))) scores[t] = kNegInf;
  }
}

}  // namespace capsfusion::engine
