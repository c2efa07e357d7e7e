// Consensus choice among the finished beams (minimum Bayes risk decoding).
// Beam search ranks beams by the model's probability, while caption metrics
// reward the caption that agrees most with what a reference fusion would say.
// With `fuse --beam-choice consensus` (or a model file that stores it), each
// beam is scored by its mean closeness to the other beams (CaptionCloseness:
// sentence ROUGE-L + smoothed BLEU-4) plus `source_weight` x its closeness to
// the two sources written one after the other ("raw synthetic"), so the beam
// that keeps what the beams and the sources share comes first. With a length
// choice, the beams with enough words come first (by score), then the others
// (by score); when none has enough, the longest comes first. QC's next-beam
// choice then works on that order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "fuse/length_choice.h"
#include "fuse/model_fuser.h"

namespace capsfusion {

//! Off unless enabled.
struct ConsensusChoice {
  bool enabled = false;
  double source_weight = 1.0;  //!< weight of the closeness to the sources, 0 to 100
};

//! "model" or "consensus" into `choice->enabled`; InvalidArgument otherwise.
Status ParseBeamChoice(std::string_view name, ConsensusChoice* choice);

//! Each candidate's score: mean closeness to the others + source_weight x
//! closeness to "raw synthetic". Exposed for tests.
std::vector<double> ConsensusScores(const std::vector<std::string_view>& candidates, std::string_view raw,
                                    std::string_view synthetic, double source_weight);

//! Reorders `caption`'s text and alternatives as the header says (ties keep
//! beam order). Returns whether the first changed. A caption without
//! alternatives, or a disabled choice, is left alone.
bool ApplyConsensusChoice(const ConsensusChoice& choice, const LengthChoice& length, std::string_view raw,
                          std::string_view synthetic, FusedCaption* caption);

}  // namespace capsfusion
