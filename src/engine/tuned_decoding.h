// Tuned decoding settings stored in a model file: the metadata keys
// capsfusion.decoding.{num_beams, length_penalty, span_bonus, span_min_match,
// expected_length, min_length_ratio, beam_choice, consensus_source_weight}
// that `fuse` uses unless told otherwise (ModelInfo::recommended_*).
#pragma once

#include <array>
#include <optional>
#include <string>

#include "capsfusion/status.h"

namespace capsfusion::engine {

//! Settings to store; an unset field leaves the file's value as it is.
struct TunedDecoding {
  std::optional<int> num_beams;         //!< 1 to kMaxBeams
  std::optional<float> length_penalty;  //!< finite, |x| <= 100
  std::optional<float> span_bonus;      //!< 0 to 100
  std::optional<int> span_min_match;    //!< 1 to 32
  //! Expected fused words: [intercept, per raw word, per synthetic word], each finite, |x| <= 1000.
  std::optional<std::array<float, 3>> expected_length;
  std::optional<float> min_length_ratio;  //!< 0 to 10 (0: off)
  std::optional<std::string> beam_choice;  //!< "model" or "consensus"
  std::optional<float> consensus_source_weight;  //!< 0 to 100

  bool any() const {
    return num_beams || length_penalty || span_bonus || span_min_match || expected_length || min_length_ratio || beam_choice ||
           consensus_source_weight;
  }
};

//! InvalidArgument naming the first setting out of range.
Status ValidateTunedDecoding(const TunedDecoding& tuned);

//! Writes the GGUF file `input` to `output` (atomically; the same path is fine)
//! with the given settings stored and everything else unchanged: every other
//! key, in order, and every tensor byte for byte. The tensors pass through
//! memory once.
Status WriteWithTunedDecoding(const std::string& input, const std::string& output, const TunedDecoding& tuned);

}  // namespace capsfusion::engine
