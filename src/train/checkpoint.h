// Checkpoints: everything needed to continue a run exactly where it stopped.
//
// A checkpoint holds the model's parameters, the optimiser's moments and step
// counts, LibTorch's random generator (dropout), and the trainer's position:
// step, epoch and the index of the next batch in that epoch's order (the order
// itself is a pure function of the seed and the epoch, see batcher.h), plus
// the early-stopping bookkeeping. Files are written to a temporary name and
// renamed, so a crash (even kill -9) leaves the previous checkpoint intact.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "capsfusion/status.h"
#include "train/model.h"

namespace capsfusion::train {

struct TrainState {
  int64_t step = 0;            //!< optimiser steps done
  int64_t epoch = 0;           //!< the epoch the next batch belongs to
  int64_t batch_in_epoch = 0;  //!< index of the next batch in the epoch's order
  int64_t best_step = -1;
  double best_score = 0;       //!< of the best evaluation (higher is better; dev loss is negated)
  int64_t bad_evals = 0;       //!< evaluations since the best one
  int64_t tokens_seen = 0;
  double seconds = 0;          //!< training time so far, over all sessions
  double loss_sum = 0;         //!< training loss summed over the steps since the last evaluation
  int64_t loss_steps = 0;
  int64_t last_eval_step = -1;
  bool stopped_early = false;  //!< early stopping ended the run; resuming does nothing
};

//! Writes a checkpoint (optimizer may be null: a weights-only file).
Status SaveCheckpoint(const std::string& path, FusionModel& model, torch::optim::Optimizer* optimizer,
                      const TrainState& state);

//! Reads a checkpoint into `model` (which must have the same shape), and into
//! `optimizer`, `state` and the global generator when they are given.
Status LoadCheckpoint(const std::string& path, FusionModel& model, torch::optim::Optimizer* optimizer,
                      TrainState* state, bool restore_rng);

}  // namespace capsfusion::train
