// How the capsfusion CLI is put together: each subcommand lives in its own
// cmd_<name>.cc and registers itself through one Add<Name>Command function.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "capsfusion/status.h"

namespace capsfusion::cli {

//! Exit codes shared by every subcommand.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  //!< the job could not be done (message on stderr)
  kExitUsage = 2,    //!< bad flags or arguments
  kExitPartial = 3,  //!< the job finished, but some rows were rejected (see summary)
};

//! What a subcommand runs after its flags are parsed; returns the exit code.
using Runner = std::function<int()>;

//! Prints "capsfusion <cmd>: error: <message>" on one line; returns kExitFailure.
int Fail(const std::string& command, const Status& status);
int Fail(const std::string& command, const std::string& message);

//! Parses argv into `app` and runs the chosen subcommand's runner: usage errors
//! exit 2 (help and version 0), an escaped exception is an internal error (1).
int RunApp(CLI::App& app, const Runner& run, int argc, char** argv);

//! Directory of the running binary (to find models/ next to build/).
std::string ExecutableDir();

//! True when stderr is a terminal (progress lines are shown only then).
bool StderrIsTerminal();

// One per subcommand. Each adds its CLI11 subcommand to `app` and sets `*run`
// when the user picked it.
void AddPromptCommand(CLI::App& app, Runner* run);
void AddFuseCommand(CLI::App& app, Runner* run);
void AddMergeCommand(CLI::App& app, Runner* run);
void AddEvalCommand(CLI::App& app, Runner* run);
void AddGenerateCommand(CLI::App& app, Runner* run);
void AddStatsCommand(CLI::App& app, Runner* run);
void AddViewCommand(CLI::App& app, Runner* run);
void AddQcCommand(CLI::App& app, Runner* run);
void AddServeCommand(CLI::App& app, Runner* run);
void AddTeachCommand(CLI::App& app, Runner* run);
void AddCaptionCommand(CLI::App& app, Runner* run);
void AddSetDecodingCommand(CLI::App& app, Runner* run);
// train and export: AddTrainerCommands in trainer_launcher.h (they run capsfusion-train).

}  // namespace capsfusion::cli
