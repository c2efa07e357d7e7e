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

PreparedPrompt ModelFuser::Prepare(const Record& record) const {
  PreparedPrompt p;
  PromptInfo info;
  auto prompt = BuildPrompt(template_, record.raw, record.synthetic, backend_->tokenizer(), options_.prompt, &info);
  if (!prompt.ok()) {
    p.status = prompt.status();
    return p;
  }
  p.text = std::move(*prompt);
  p.tokens = info.tokens;
  return p;
}

StatusOr<std::vector<FusedCaption>> ModelFuser::Generate(const std::vector<const PreparedPrompt*>& batch,
                                                         const GenerateOptions* options) {
  std::vector<FusedCaption> out(batch.size());
  std::vector<std::string> prompts;
  std::vector<size_t> slots;
  prompts.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!batch[i]->status.ok()) {
      out[i].status = batch[i]->status;
      continue;
    }
    out[i].prompt_tokens = batch[i]->tokens;
    prompts.push_back(batch[i]->text);
    slots.push_back(i);
  }
  if (prompts.empty()) return out;
  auto results = backend_->Generate(prompts, options != nullptr ? *options : options_.generate);
  if (!results.ok()) return results.status();
  if (results->size() != prompts.size()) {
    return Status::Internal("backend returned " + std::to_string(results->size()) + " results for " +
                            std::to_string(prompts.size()) + " prompts");
  }
  for (size_t k = 0; k < slots.size(); ++k) {
    FusedCaption& f = out[slots[k]];
    if (!(*results)[k].status.ok()) {
      f.status = (*results)[k].status;
      continue;
    }
    Generation& g = (*results)[k].generation;
    f.text = Trim(io::ToValidUtf8(g.text));
    f.finish_reason = g.finish_reason;
    for (const Generation& a : g.alternatives) f.alternatives.push_back(Trim(io::ToValidUtf8(a.text)));
    f.new_tokens = g.tokens.empty() ? (*results)[k].completion_tokens : g.tokens.size();
  }
  return out;
}

StatusOr<std::vector<FusedCaption>> ModelFuser::Fuse(const std::vector<const Record*>& batch) {
  std::vector<PreparedPrompt> prepared;
  prepared.reserve(batch.size());
  for (const Record* r : batch) prepared.push_back(Prepare(*r));
  std::vector<const PreparedPrompt*> ptrs;
  for (const PreparedPrompt& p : prepared) ptrs.push_back(&p);
  return Generate(ptrs);
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
