// The order of one epoch: shuffled, grouped by length, batched.
#pragma once

#include <cstdint>
#include <vector>

namespace capsfusion::train {

//! The batches of one epoch as example indices. The examples are shuffled,
//! sorted by length inside pools of `pool_batches` batches (so a batch holds
//! sequences of similar length and little padding), cut into batches of
//! `batch_size`, and the batches shuffled. A pure function of its arguments:
//! resuming an epoch replays the same order.
std::vector<std::vector<uint32_t>> PlanEpoch(const std::vector<uint32_t>& lengths, int batch_size, uint64_t seed,
                                             int epoch, int pool_batches = 64);

}  // namespace capsfusion::train
