// ApproximateTokenizer: vocabulary-free token counts for prompt budgets.
//
// Id layout (all ids are non-negative int32):
//   0 <unk>, 1 <s>, 2 </s>
//   3..258        a single byte (value + 3)
//   bit 30 set    an ASCII letter chunk: bit 29 leading space, bits 27-28 length-1,
//                 bits 0-27 four 7-bit characters (first character lowest)
#include <cstdint>

#include "capsfusion/tokenizer.h"

namespace capsfusion {

namespace {

constexpr int32_t kBos = 1, kEos = 2, kByteBase = 3;
constexpr int32_t kChunkTag = 1 << 30, kSpaceBit = 1 << 29;

bool IsAsciiLetter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

class ApproximateTokenizer final : public Tokenizer {
 public:
  std::vector<int32_t> Encode(std::string_view text, bool add_bos) const override {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 2);
    if (add_bos) ids.push_back(kBos);
    size_t i = 0;
    while (i < text.size()) {
      bool space = false;
      size_t start = i;
      if (text[i] == ' ' && i + 1 < text.size() && IsAsciiLetter(text[i + 1])) {
        space = true;
        ++start;
      }
      if (IsAsciiLetter(text[start])) {
        int32_t packed = 0;
        size_t len = 0;
        while (len < 4 && start + len < text.size() && IsAsciiLetter(text[start + len])) {
          packed |= static_cast<int32_t>(text[start + len]) << (7 * len);
          ++len;
        }
        ids.push_back(kChunkTag | (space ? kSpaceBit : 0) | static_cast<int32_t>((len - 1) << 27) | packed);
        i = start + len;
      } else {
        ids.push_back(kByteBase + static_cast<unsigned char>(text[i]));
        ++i;
      }
    }
    return ids;
  }

  size_t CountTokens(std::string_view text, bool add_bos) const override {
    // Encode()'s pieces, counted without building them.
    size_t n = add_bos ? 1 : 0;
    size_t i = 0;
    while (i < text.size()) {
      size_t start = i;
      if (text[i] == ' ' && i + 1 < text.size() && IsAsciiLetter(text[i + 1])) ++start;
      if (IsAsciiLetter(text[start])) {
        size_t len = 0;
        while (len < 4 && start + len < text.size() && IsAsciiLetter(text[start + len])) ++len;
        i = start + len;
      } else {
        ++i;
      }
      ++n;
    }
    return n;
  }

  std::string Decode(const std::vector<int32_t>& ids) const override {
    std::string out;
    for (int32_t id : ids) {
      if (id & kChunkTag) {
        if (id & kSpaceBit) out.push_back(' ');
        size_t len = ((id >> 27) & 3) + 1;
        for (size_t k = 0; k < len; ++k) out.push_back(static_cast<char>((id >> (7 * k)) & 0x7f));
      } else if (id >= kByteBase && id < kByteBase + 256) {
        out.push_back(static_cast<char>(id - kByteBase));
      }
    }
    return out;
  }

  int32_t bos_id() const override { return kBos; }
  int32_t eos_id() const override { return kEos; }
  size_t vocab_size() const override { return static_cast<size_t>(INT32_MAX); }
  std::string name() const override { return "approximate (no model: 4-letter pieces)"; }
};

}  // namespace

std::unique_ptr<Tokenizer> MakeApproximateTokenizer() { return std::make_unique<ApproximateTokenizer>(); }

}  // namespace capsfusion
