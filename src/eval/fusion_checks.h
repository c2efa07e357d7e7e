// Word-level forms of the prompt-leak and concatenation checks, shared by
// the public functions and MeasureFusion. Internal to src/eval.
#pragma once

#include <cstdint>
#include <vector>

#include "eval/fusion_words.h"

namespace capsfusion::eval {

//! Bit i is set when instruction phrase i occurs in the words.
uint32_t LeakPhrases(const std::vector<FusionWord>& words);

//! IsConcatenation on tokenized captions.
bool IsConcatenationWords(const std::vector<FusionWord>& raw, const std::vector<FusionWord>& synthetic,
                          const std::vector<FusionWord>& fused);

}  // namespace capsfusion::eval
