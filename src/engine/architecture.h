// The registry of model architectures, keyed by GGUF `general.architecture`.
//
// Each architecture lives in its own files (llama_model.cc + llama_forward.cc
// for "llama") and adds one line to the table in architecture.cc: a loader that
// reads its hyperparameters and tensors from the file and returns a ready
// LanguageModel. A variant (say, our LLaMA with a copy head stored under its own
// architecture name) reuses ReadLlamaHparams/LoadLlamaWeights with its own key
// prefix and wraps or extends LlamaForward.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "capsfusion/status.h"
#include "engine/language_model.h"
#include "gguf/gguf.h"

namespace capsfusion::engine {

class ThreadPool;

struct ArchitectureOptions {
  ThreadPool* pool = nullptr;   //!< used by the forward pass; must outlive the model
  uint32_t context_length = 0;  //!< 0: the model's own
  KvType kv_type = KvType::kF16;  //!< element type of the KV cache
  //! Rearranges the weight matrices once, at load, into the layout the active
  //! kernel path reads fastest (packed_weights.h). Costs a copy of the F32,
  //! Q8_0 and Q4_0 matrices in memory; false keeps only the mmap'd file.
  bool pack_weights = true;
};

//! Builds a model from an open file (which must outlive it).
using ArchitectureLoader = StatusOr<std::unique_ptr<LanguageModel>> (*)(const gguf::GgufFile& file,
                                                                      const std::string& architecture,
                                                                      const ArchitectureOptions& options);

struct Architecture {
  const char* name;
  ArchitectureLoader load;
};

//! The entry for `name`, or nullptr.
const Architecture* FindArchitecture(std::string_view name);
//! "llama, ..." for error messages.
std::string ArchitectureNames();

//! Reads general.architecture and dispatches to the registered loader.
StatusOr<std::unique_ptr<LanguageModel>> LoadLanguageModel(const gguf::GgufFile& file,
                                                           const ArchitectureOptions& options);

}  // namespace capsfusion::engine
