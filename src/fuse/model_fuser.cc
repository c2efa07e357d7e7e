#include "fuse/model_fuser.h"

#include "io/utf8.h"

#include <sys/stat.h>

#include <cstdlib>

namespace capsfusion {

namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return !path.empty() && stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

ModelFuser::ModelFuser(Backend* backend, ModelFuserOptions options) : backend_(backend), options_(std::move(options)) {
  if (!options_.prompt_template.text.empty()) {
    template_ = options_.prompt_template;
  } else if (!backend_->info().prompt_template.empty()) {
    template_ = PromptTemplate{"model:" + backend_->info().model, backend_->info().prompt_template};
  } else {
    template_ = PromptTemplate::Paper();
  }
}

StatusOr<std::vector<FusedCaption>> ModelFuser::Fuse(const std::vector<const Record*>& batch) {
  std::vector<FusedCaption> out(batch.size());
  std::vector<std::string> prompts;
  std::vector<size_t> slots;
  prompts.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    PromptInfo info;
    auto prompt = BuildPrompt(template_, batch[i]->raw, batch[i]->synthetic, backend_->tokenizer(), options_.prompt, &info);
    if (!prompt.ok()) {
      out[i].status = prompt.status();
      continue;
    }
    out[i].prompt_tokens = info.tokens;
    prompts.push_back(std::move(*prompt));
    slots.push_back(i);
  }
  if (prompts.empty()) return out;
  auto results = backend_->Generate(prompts, options_.generate);
  if (!results.ok()) return results.status();
  for (size_t k = 0; k < slots.size(); ++k) {
    FusedCaption& f = out[slots[k]];
    if (!(*results)[k].status.ok()) {
      f.status = (*results)[k].status;
      continue;
    }
    Generation& g = (*results)[k].generation;
    f.text = Trim(io::ToValidUtf8(g.text));
    f.finish_reason = g.finish_reason;
    f.new_tokens = g.tokens.size();
  }
  return out;
}

std::string FindDefaultModel(const std::string& argv0_dir) {
  const char* env = std::getenv("CAPSFUSION_MODEL");
  if (env != nullptr && *env != '\0') return env;
  const std::string name = "models/capsfusion-default.gguf";
  for (const std::string& candidate :
       {argv0_dir + "/../" + name, argv0_dir + "/" + name, std::string(CAPSFUSION_SOURCE_MODELS_DIR) + "/capsfusion-default.gguf"}) {
    if (FileExists(candidate)) return candidate;
  }
  return "";
}

}  // namespace capsfusion
