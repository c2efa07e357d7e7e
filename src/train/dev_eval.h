// Evaluation on the dev split: loss, greedy decoding of a sample, and scores.
#pragma once

#include <string>
#include <vector>

#include "train/decode.h"
#include "train/example.h"
#include "train/model.h"
#include "train/train.h"
#include "train/triplet.h"

namespace capsfusion::train {

//! Mean negative log-likelihood per target token of `examples` (no dropout).
double DevLoss(FusionModel& model, const std::vector<Example>& examples, int batch_size);

//! Greedy fused captions of the first `n` rows (all when n exceeds them).
std::vector<std::string> DecodeRows(FusionModel& model, const ExampleBuilder& builder,
                                    const std::vector<Triplet>& rows, size_t n, const GreedyOptions& options,
                                    int batch_size);

//! Fills the decode scores of `result` for `captions` (one per leading row of
//! `rows`): BLEU-4, ROUGE-L and CIDEr-D against the targets when the project's
//! metrics are built in, and the fusion checks (instruction leaks, retention of
//! the raw caption's names and numbers, plain concatenation).
void ScoreDecodes(const std::vector<Triplet>& rows, const std::vector<std::string>& captions, EvalResult* result);

}  // namespace capsfusion::train
