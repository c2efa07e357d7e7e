// CaptionBatch: the captions of consecutive rows, one per source (raw,
// synthetic, fused, references), packed in one buffer so that a batch moves
// between threads with a few allocations. Internal to src/report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion::report {

class CaptionBatch {
 public:
  explicit CaptionBatch(size_t sources = 0) : sources_(sources) {}

  //! Appends a row: `captions[s]` is source s's caption, nullptr when absent.
  void AddRow(const std::string* const* captions) {
    for (size_t s = 0; s < sources_; ++s) {
      if (captions[s] == nullptr) {
        spans_.push_back(Span{0, kAbsent});
        continue;
      }
      spans_.push_back(Span{bytes_.size(), captions[s]->size()});
      bytes_ += *captions[s];
    }
    ++rows_;
  }
  size_t rows() const { return rows_; }
  size_t sources() const { return sources_; }
  //! Bytes held (to cut batches by size).
  size_t bytes() const { return bytes_.size(); }
  //! Source s of row r; false when absent.
  bool Caption(size_t r, size_t s, std::string_view* out) const {
    const Span& sp = spans_[r * sources_ + s];
    if (sp.length == kAbsent) return false;
    *out = std::string_view(bytes_.data() + sp.begin, sp.length);
    return true;
  }

 private:
  static constexpr size_t kAbsent = SIZE_MAX;
  struct Span {
    size_t begin, length;
  };
  size_t sources_;
  size_t rows_ = 0;
  std::string bytes_;
  std::vector<Span> spans_;
};

}  // namespace capsfusion::report
