// Triplet: one training row (raw caption, synthetic caption, fused target).
#pragma once

#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "train/train.h"

namespace capsfusion::train {

struct Triplet {
  std::string raw, synthetic, target;
  std::string origin;  //!< "path:line" for messages
};

//! What LoadTriplets did.
struct LoadStats {
  size_t rows = 0;           //!< triplets kept
  size_t rejected = 0;       //!< rows the reader rejected or with an empty caption
  size_t leaks_dropped = 0;  //!< targets that echo the instruction, left out
  size_t leaks_repaired = 0; //!< targets whose leaking sentences were removed
};

//! Reads triplets from `files` (every format the reader knows) with the field
//! names of `options`, applying its leak mode. `max_rows` 0: all.
StatusOr<std::vector<Triplet>> LoadTriplets(const std::vector<std::string>& files, const DataOptions& options,
                                            LeakMode leak, size_t max_rows, LoadStats* stats);

//! Moves a seeded random `fraction` of `rows` (at least one row) into the returned dev split.
std::vector<Triplet> HoldOut(std::vector<Triplet>* rows, double fraction, uint64_t seed);

}  // namespace capsfusion::train
