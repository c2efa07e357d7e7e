// Model flags shared by the subcommands that run a model (fuse, and later
// others): which backend, and how to reach or load it.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "capsfusion/backend.h"

namespace capsfusion::cli {

struct BackendArgs {
  std::string model;        //!< GGUF file (default: the shipped model)
  int threads = 0;          //!< engine threads (0: all cores)
  size_t batch_size = 64;   //!< prompts decoded together
};

//! Adds --model, --threads and --batch-size to `app` in option group `group`.
void AddBackendOptions(CLI::App* app, BackendArgs* args, const std::string& group);

//! The backend these flags select. `num_beams` sizes the engine's batch
//! (each beam is a sequence). The path of a local model goes to `*described`.
StatusOr<std::unique_ptr<Backend>> MakeBackend(const BackendArgs& args, int num_beams, std::string* described);

}  // namespace capsfusion::cli
