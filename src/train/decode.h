// Decoding with the LibTorch model: next-token log-probabilities (what the
// engine must reproduce from the exported file) and batched greedy decoding
// for the dev evaluation.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "train/model.h"

namespace capsfusion::train {

//! Prompts with their copy-source flags (as ExampleBuilder::Prompt returns them).
struct PromptBatch {
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::vector<uint8_t>> source;
};

//! log p(next token | prompt) for every prompt: [B, V]. With a copy head this
//! is the log of the gated mixture (-inf where both parts are 0), otherwise the
//! log-softmax of the logits.
torch::Tensor NextTokenLogProbs(FusionModel& model, const PromptBatch& prompts);

struct GreedyOptions {
  int max_new_tokens = 96;
  int no_repeat_ngram = 3;  //!< 0: off; n-grams are counted over the new tokens only
};

//! Greedy decoding; returns the new tokens of each prompt without the EOS.
//! Prompts of different lengths are left-padded and decoded together with a
//! key/value cache.
std::vector<std::vector<int32_t>> GreedyDecode(FusionModel& model, const PromptBatch& prompts, int32_t eos,
                                               const GreedyOptions& options);

}  // namespace capsfusion::train
