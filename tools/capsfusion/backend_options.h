// Model flags shared by the subcommands that run a model (fuse, teach,
// caption): which backend, and how to reach or load it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/backend.h"
#include "capsfusion/remote_backend.h"

namespace capsfusion::cli {

//! Flags of the remote backend (OpenAI-compatible endpoints).
struct RemoteArgs {
  std::vector<std::string> endpoints;          //!< --endpoint URL[,key=value...] (repeatable)
  std::string style = "completions";          //!< --endpoint-style
  std::string model;                          //!< --endpoint-model
  std::string api_key_env = "OPENAI_API_KEY";  //!< --api-key-env
  bool api_key_env_given = false;              //!< the flag was on the command line
  size_t concurrency = 8;
  double connect_timeout_s = 10;
  double request_timeout_s = 120;
  int max_retries = 8;
  double rpm = 0, tpm = 0;
  std::vector<std::string> request_params;     //!< KEY=JSON
};

struct BackendArgs {
  std::string model;        //!< GGUF file (default: the shipped model)
  int threads = 0;          //!< engine threads (0: all cores)
  size_t batch_size = 64;   //!< prompts decoded together
  RemoteArgs remote;
};

//! Adds --model, --threads, --batch-size and the remote flags (AddRemoteOptions)
//! to `app` in option group `group` (the remote ones in group "Remote model").
void AddBackendOptions(CLI::App* app, BackendArgs* args, const std::string& group);

//! Adds --endpoint, --endpoint-style, --endpoint-model, --api-key-env,
//! --concurrency, --connect-timeout, --request-timeout, --max-retries, --rpm,
//! --tpm, --request-param in option group `group`.
void AddRemoteOptions(CLI::App* app, RemoteArgs* args, const std::string& group);

//! The remote backend's options from the flags.
StatusOr<RemoteOptions> MakeRemoteOptions(const RemoteArgs& args);

//! The backend these flags select: remote when --endpoint is given, else our
//! engine. `widest_beams(r)` is the widest beam search the run will ask for
//! when the model file recommends width r (0: it names none); it sizes the
//! engine's batch (each beam is a sequence). The path of a local model (or the
//! endpoints) goes to `*described`.
StatusOr<std::unique_ptr<Backend>> MakeBackend(const BackendArgs& args,
                                               const std::function<int(int recommended)>& widest_beams,
                                               std::string* described);

}  // namespace capsfusion::cli
