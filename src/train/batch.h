// Batch: examples collated into padded tensors, and the training loss on them.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "train/example.h"
#include "train/model.h"

namespace capsfusion::train {

//! Examples as model input. Sequence i is prompt ++ target without its last
//! token; labels[i][t] is the token after position t where the loss applies
//! (the target part; every token after BOS for caption-text examples) and -1
//! elsewhere. Right padding (id 0): causal attention never lets a real
//! position see it.
struct Batch {
  torch::Tensor ids;        //!< [B,T] int64
  torch::Tensor labels;     //!< [B,T] int64, -1: no loss
  torch::Tensor source;     //!< [B,T] bool: copy sources
  torch::Tensor copy_rows;  //!< [B] bool: rows whose loss uses the copy mixture
  int64_t target_tokens = 0;
  int64_t tokens = 0;       //!< real (unpadded) positions
};

Batch Collate(const std::vector<const Example*>& examples);

//! Sum of the negative log-likelihoods of the batch's labelled tokens. With a
//! copy head, the likelihood is the gated mixture of the vocabulary and copy
//! distributions (for rows with copy_rows set). With `label_smoothing` e > 0,
//! each token's term is (1 - e) * its NLL + e * the mean NLL of every vocabulary
//! entry under the same distribution.
torch::Tensor FusionNll(FusionModel& model, const Batch& batch, double label_smoothing = 0.0);

}  // namespace capsfusion::train
