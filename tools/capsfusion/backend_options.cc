#include "backend_options.h"

#include <algorithm>

#include "command.h"
#include "fuse/model_fuser.h"

namespace capsfusion::cli {

void AddBackendOptions(CLI::App* app, BackendArgs* args, const std::string& group) {
  app->add_option("--model", args->model, "GGUF model file (default: models/capsfusion-default.gguf)")->group(group);
  app->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str()->group(group);
  app->add_option("--batch-size", args->batch_size, "Rows decoded together")->capture_default_str()->group(group);
}

StatusOr<std::unique_ptr<Backend>> MakeBackend(const BackendArgs& args, int num_beams, std::string* described) {
  std::string path = args.model.empty() ? FindDefaultModel(ExecutableDir()) : args.model;
  if (path.empty()) {
    return Status::NotFound("no model given and no default model found (models/capsfusion-default.gguf); use --model");
  }
  ModelOptions mopt;
  mopt.threads = args.threads;
  mopt.max_batch = std::max<size_t>(1, args.batch_size) * static_cast<size_t>(std::max(1, num_beams));
  auto backend = MakeLocalBackend(path, mopt);
  if (!backend.ok()) return backend.status();
  if (described != nullptr) *described = path;
  return backend;
}

}  // namespace capsfusion::cli
