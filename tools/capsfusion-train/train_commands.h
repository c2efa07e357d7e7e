// The trainer's subcommands, in their own executable (capsfusion-train) so that the runtime
// CLI never loads LibTorch; `capsfusion train|export ...` runs them (trainer_launcher.h).
#pragma once

#include <CLI/CLI.hpp>

#include "command.h"

namespace capsfusion::cli {

//! `train`: distil fused captions into a compact model.
void AddTrainCommand(CLI::App& app, Runner* run);
//! `export`: write a training run's model as a GGUF file.
void AddExportCommand(CLI::App& app, Runner* run);

}  // namespace capsfusion::cli
