#include "backend_options.h"

#include <algorithm>

#include "command.h"
#include "engine/model_loader.h"
#include "fuse/model_fuser.h"

namespace capsfusion::cli {

void AddBackendOptions(CLI::App* app, BackendArgs* args, const std::string& group) {
  app->add_option("--model", args->model, "GGUF model file (default: models/capsfusion-default.gguf)")->group(group);
  app->add_option("--threads", args->threads, "Threads (0: all cores)")->capture_default_str()->group(group);
  app->add_option("--batch-size", args->batch_size, "Rows decoded together (remote: rows sent together)")->capture_default_str()->group(group);
  AddRemoteOptions(app, &args->remote, "Remote model (OpenAI-compatible endpoints; docs/remote.md)");
}

void AddRemoteOptions(CLI::App* app, RemoteArgs* args, const std::string& group) {
  app->add_option("--endpoint", args->endpoints,
                  "Server URL (http://host:8000, .../v1, or .../v1/chat/completions); repeat for several. "
                  "Per-endpoint settings: URL,model=M,style=chat,concurrency=N,rpm=N,tpm=N")
      ->group(group);
  app->add_option("--endpoint-style", args->style, "completions | chat (a URL ending in the API path decides)")
      ->capture_default_str()->group(group);
  app->add_option("--endpoint-model", args->model, "The \"model\" of each request (default: asked from GET /v1/models)")->group(group);
  app->add_option("--api-key-env", args->api_key_env,
                  "Environment variable with the API key, sent as a Bearer token (default OPENAI_API_KEY, used when set; "
                  "a variable named here must be set)")
      ->each([args](const std::string&) { args->api_key_env_given = true; })
      ->group(group);
  app->add_option("--concurrency", args->concurrency, "Requests in flight per endpoint")->capture_default_str()->group(group);
  app->add_option("--connect-timeout", args->connect_timeout_s, "Seconds to connect")->capture_default_str()->group(group);
  app->add_option("--request-timeout", args->request_timeout_s, "Seconds per request (then it is retried)")->capture_default_str()->group(group);
  app->add_option("--max-retries", args->max_retries, "Retries per request on timeouts, 429 and 5xx (exponential backoff, jitter)")
      ->capture_default_str()->group(group);
  app->add_option("--rpm", args->rpm, "Requests per minute over all endpoints (0: no limit)")->capture_default_str()->group(group);
  app->add_option("--tpm", args->tpm, "Tokens (prompt + max new) per minute over all endpoints (0: no limit)")->capture_default_str()->group(group);
  app->add_option("--request-param", args->request_params, "Extra request field KEY=JSON (repeatable), e.g. top_k=20")->group(group);
}

StatusOr<RemoteOptions> MakeRemoteOptions(const RemoteArgs& args) {
  RemoteOptions opt;
  EndpointSpec defaults;
  auto style = ParseEndpointStyle(args.style);
  if (!style.ok()) return style.status();
  defaults.style = *style;
  defaults.model = args.model;
  for (const std::string& e : args.endpoints) {
    auto spec = ParseEndpointSpec(e, defaults);
    if (!spec.ok()) return spec.status();
    opt.endpoints.push_back(*spec);
  }
  opt.api_key_env = args.api_key_env;
  opt.api_key_required = args.api_key_env_given;
  opt.concurrency = args.concurrency;
  opt.connect_timeout_s = args.connect_timeout_s;
  opt.request_timeout_s = args.request_timeout_s;
  opt.max_retries = args.max_retries;
  opt.rpm = args.rpm;
  opt.tpm = args.tpm;
  for (const std::string& p : args.request_params) {
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("--request-param '" + p + "' is not KEY=JSON");
    opt.extra_params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  return opt;
}

StatusOr<std::unique_ptr<Backend>> MakeBackend(const BackendArgs& args,
                                               const std::function<int(int recommended)>& widest_beams,
                                               std::string* described) {
  if (!args.remote.endpoints.empty()) {
    if (!args.model.empty()) return Status::InvalidArgument("--model and --endpoint exclude each other");
    auto opt = MakeRemoteOptions(args.remote);
    if (!opt.ok()) return opt.status();
    auto remote = MakeRemoteBackend(*opt);
    if (!remote.ok()) return remote.status();
    if (described != nullptr) {
      described->clear();
      for (const std::string& u : (*remote)->info().endpoints) *described += (described->empty() ? "" : " ") + u;
    }
    return std::unique_ptr<Backend>(std::move(*remote));
  }
  std::string path = args.model.empty() ? FindDefaultModel(ExecutableDir()) : args.model;
  if (path.empty()) {
    return Status::NotFound("no model given and no default model found (models/capsfusion-default.gguf); use --model or --endpoint");
  }
  ModelOptions mopt;
  mopt.threads = args.threads;
  const int beams = widest_beams(engine::PeekRecommendedBeams(path));
  mopt.max_batch = std::max<size_t>(1, args.batch_size) * static_cast<size_t>(std::max(1, beams));
  auto backend = MakeLocalBackend(path, mopt);
  if (!backend.ok()) return backend.status();
  if (described != nullptr) *described = path;
  return backend;
}

}  // namespace capsfusion::cli
