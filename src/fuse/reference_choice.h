// Reference choice among the finished beams. With `fuse --closest-to FIELD`,
// the beam closest to the row's caption in FIELD comes first, so QC keeps the
// closest beam that passes its checks. This turns a model's own beams into
// training targets (self-training, docs/training.md): among captions the model
// already writes, the one a reference fusion (a teacher's, or the official
// one) would have preferred. Closeness is sentence ROUGE-L (beta 1.2, as
// pycocoevalcap) plus add-one-smoothed sentence BLEU-4 with its brevity
// penalty, on PTB tokens; both lie in [0, 1], so the sum is in [0, 2].
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fuse/model_fuser.h"

namespace capsfusion {

//! Closeness of `candidate` to `reference` in [0, 2]; 0 when either has no tokens.
double CaptionCloseness(std::string_view candidate, std::string_view reference);

//! CaptionCloseness of each candidate to `reference`, all of them already PTB
//! tokenized (PtbTokenize); 0 for an empty candidate, all 0 for an empty reference.
std::vector<double> TokenizedCloseness(const std::vector<std::string>& candidates, const std::string& reference);

//! Puts `caption`'s text and alternatives (0 the text, k the alternative k - 1)
//! in `order`, a permutation of 0..alternatives. Returns whether the first changed.
bool ReorderBeams(const std::vector<size_t>& order, FusedCaption* caption);

//! Orders `caption`'s text and alternatives by closeness to `reference`, the
//! closest first (ties keep beam order). Returns whether the first changed.
//! An empty reference leaves the caption alone.
bool ApplyReferenceChoice(std::string_view reference, FusedCaption* caption);

}  // namespace capsfusion
