// The run's config.json: every option that shapes the model and its training,
// written when a run starts and checked when it resumes.
#pragma once

#include <string>

#include "capsfusion/status.h"
#include "train/train.h"

namespace capsfusion::train {

//! config.json text of `options` (model, data, tokenizer, optimiser, seed,
//! template, and the starting model's file and sha256 with --init).
std::string RunConfigJson(const TrainOptions& options, const std::string& init_sha256 = "");

//! The model config and prompt template stored in a run directory's config.json.
struct StoredRun {
  ModelConfig model;
  std::string prompt_template;
  std::string json;  //!< the whole file
};
StatusOr<StoredRun> ReadRunConfig(const std::string& run_dir);

//! OK when a run started with `stored_json` can be resumed with `options`:
//! everything that decides the result must match; evaluation, checkpointing,
//! threads, time limits and the length of training may change.
Status CheckResumable(const std::string& stored_json, const TrainOptions& options,
                      const std::string& init_sha256 = "");

}  // namespace capsfusion::train
