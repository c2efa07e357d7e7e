#include "engine/architecture.h"

#include "engine/capsfusion_copy_model.h"
#include "engine/llama_forward.h"

namespace capsfusion::engine {

namespace {

// One line per architecture.
const Architecture kArchitectures[] = {
    {"llama", &LoadLlama},
    {"capsfusion-copy", &LoadCapsfusionCopy},
};

}  // namespace

const Architecture* FindArchitecture(std::string_view name) {
  for (const Architecture& a : kArchitectures) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::string ArchitectureNames() {
  std::string out;
  for (const Architecture& a : kArchitectures) {
    if (!out.empty()) out += ", ";
    out += a.name;
  }
  return out;
}

StatusOr<std::unique_ptr<LanguageModel>> LoadLanguageModel(const gguf::GgufFile& file,
                                                           const ArchitectureOptions& options) {
  if (!file.Has("general.architecture")) {
    return Status::NotFound("missing metadata key 'general.architecture'");
  }
  auto arch = file.GetString("general.architecture");
  if (!arch.ok()) return arch.status().WithContext("metadata key 'general.architecture'");
  const Architecture* entry = FindArchitecture(*arch);
  if (entry == nullptr) {
    return Status::NotSupported("general.architecture = '" + *arch + "' is not supported (supported: " +
                                ArchitectureNames() + ")");
  }
  return entry->load(file, *arch, options);
}

}  // namespace capsfusion::engine
