// The learning-rate schedule: linear warm-up, then cosine decay.
#pragma once

#include <cstdint>

#include "train/train.h"

namespace capsfusion::train {

//! The learning rate of update number `step` (0-based) out of `total_steps`:
//! lr * (step + 1) / warmup during warm-up, then a cosine from lr down to
//! lr * min_lr_ratio at the last step.
double LearningRate(const OptimOptions& o, int64_t step, int64_t total_steps);

}  // namespace capsfusion::train
