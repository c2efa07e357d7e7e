// Length choice among the finished beams. Beam search prefers short captions
// (each token costs log-probability, which the length penalty only partly
// offsets), while the fused captions of a dataset have a length that follows
// their sources closely: about a + b x raw words + c x synthetic words. With a
// model file that stores such a fit and a ratio r (capsfusion.decoding.
// expected_length and .min_length_ratio, `capsfusion set-decoding`), `fuse`
// takes the best beam with at least r x the expected words, the longest when
// none has; QC's next-beam choice then works on that order.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "fuse/model_fuser.h"

namespace capsfusion {

//! Words of `text`: runs of characters other than ASCII whitespace.
size_t CountWords(std::string_view text);

//! words ~ intercept + per_raw_word x raw words + per_synthetic_word x synthetic words.
struct ExpectedLength {
  double intercept = 0;
  double per_raw_word = 0;
  double per_synthetic_word = 0;

  double Words(size_t raw_words, size_t synthetic_words) const {
    return intercept + per_raw_word * static_cast<double>(raw_words) +
           per_synthetic_word * static_cast<double>(synthetic_words);
  }
};

//! One example for the fit: words of the raw, synthetic and fused caption.
using LengthExample = std::array<size_t, 3>;

//! The least-squares fit over `examples`. InvalidArgument when there are fewer
//! than 3 or the source lengths do not vary enough to determine it.
StatusOr<ExpectedLength> FitExpectedLength(const std::vector<LengthExample>& examples);

//! The choice: off when min_ratio is 0.
struct LengthChoice {
  ExpectedLength expected;
  double min_ratio = 0;
  bool enabled() const { return min_ratio > 0; }
  //! The fewest words a caption of these sources needs to pass: min_ratio x the expected words.
  double MinWords(std::string_view raw, std::string_view synthetic) const {
    return min_ratio * expected.Words(CountWords(raw), CountWords(synthetic));
  }
};

//! Puts first, among `caption`'s text and alternatives (best first), the first
//! with at least min_ratio x the expected words (the longest when none has);
//! the others keep their order. Returns whether the caption changed.
bool ApplyLengthChoice(const LengthChoice& choice, std::string_view raw, std::string_view synthetic,
                       FusedCaption* caption);

}  // namespace capsfusion
