// `capsfusion train` and `capsfusion export` run the trainer, a separate executable
// (capsfusion-train, built with -DCAPSFUSION_BUILD_TRAIN=ON) that links LibTorch, so that the
// runtime CLI starts fast and small without it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "command.h"

namespace capsfusion::cli {

//! True for the subcommands the trainer runs ("train", "export").
bool IsTrainerCommand(const char* arg);

//! Where the trainer is looked for: capsfusion-train in the directory of the running binary.
std::string TrainerPath();

//! Replaces this process by the trainer with the same arguments (argv[0] "capsfusion"), so that
//! its output, exit code and signals are the command's own. Returns only when that fails,
//! with kExitFailure after a one-line message (e.g. when the trainer was not built).
int ExecTrainer(int argc, char** argv);

//! Lists train and export in `capsfusion --help` (main() hands them to ExecTrainer first).
void AddTrainerCommands(CLI::App& app, Runner* run);

}  // namespace capsfusion::cli
