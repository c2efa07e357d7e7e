// A toy fusion task for the trainer tests: raw captions with invented names
// and numbers, a synthetic caption, and a fused target that keeps both. A model
// learns it in a few dozen steps only by copying the names.
#pragma once

#include <string>

#include "train/train.h"

namespace capsfusion::train::testing {

//! Writes `rows` toy triplets as JSONL (fields laion_2b, laion_coco,
//! capsfuion_official) to `path`; every `leak_every`-th target (0: none)
//! echoes the fusion instruction.
void WriteToyData(const std::string& path, int rows, uint64_t seed, int leak_every = 0);

//! Options of a tiny run (2 layers, width 64, a 320-piece tokenizer, one
//! thread) on `train` with `dev`, in `run_dir`; trains in seconds.
TrainOptions TinyOptions(const std::string& run_dir, const std::string& train, const std::string& dev);

}  // namespace capsfusion::train::testing
