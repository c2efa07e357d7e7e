// Backend: whatever turns prompts into generations for `capsfusion fuse` and
// the trainer's teacher mode. Two kinds sit behind this one interface:
//
//   local   our engine on a GGUF file (MakeLocalBackend)
//   remote  one or more OpenAI-compatible HTTP endpoints: vLLM, llama-server,
//           TGI, hosted APIs, or `capsfusion serve` (include/capsfusion/remote_backend.h)
//
//   auto backend = capsfusion::MakeLocalBackend("models/capsfusion-default.gguf", {});
//   auto out = (*backend)->Generate({"<raw> ...<syn> ...<fus>"}, {});
//   for (auto& r : *out) if (r.status.ok()) use(r.generation.text);
//
// Errors are values: a prompt that failed (after the backend's own retries)
// carries its Status; only a backend that cannot go on fails the whole call.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capsfusion/engine.h"
#include "capsfusion/status.h"
#include "capsfusion/tokenizer.h"

namespace capsfusion {

//! What a backend is, for logs and provenance. Never holds secrets.
struct BackendInfo {
  std::string kind;             //!< "local" or "remote"
  std::string model;            //!< local: model name (or file name); remote: the served model id
  std::string model_sha256;     //!< local: SHA-256 of the GGUF file; remote: empty
  std::string prompt_template;  //!< template text from the model's metadata, or empty (use the paper's)
  int recommended_num_beams = 0;  //!< local: the model's tuned beam width (ModelInfo), 0: none
  std::optional<float> recommended_length_penalty;  //!< local: the model's tuned length penalty (ModelInfo)
  std::optional<float> recommended_span_bonus;      //!< local: the model's tuned span continuation (ModelInfo)
  int recommended_span_min_match = 0;               //!< 0: none
  std::optional<std::array<float, 3>> recommended_expected_length;  //!< local: the model's (ModelInfo)
  std::optional<float> recommended_min_length_ratio;                //!< local: the model's (ModelInfo)
  std::string recommended_beam_choice;                              //!< local: the model's (ModelInfo), "": none
  std::optional<float> recommended_consensus_source_weight;         //!< local: the model's (ModelInfo)
  std::vector<std::string> endpoints;  //!< remote: base URLs (without credentials)
};

//! One prompt's outcome.
struct BackendResult {
  Status status;          //!< non-OK: no generation for this prompt
  Generation generation;  //!< remote backends fill text, finish_reason and prompt_tokens (tokens stay empty)
  int attempts = 1;       //!< requests made for this prompt (remote retries)
  size_t completion_tokens = 0;  //!< remote: generated tokens as the server counted them (0: unknown)
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const BackendInfo& info() const = 0;
  //! The tokenizer used for prompt budgets: the model's own (local), or an
  //! approximate one (remote; MakeApproximateTokenizer).
  virtual const Tokenizer& tokenizer() const = 0;
  //! Prompts per Generate call that keep the backend fully busy.
  virtual size_t preferred_batch() const = 0;

  //! Generates for every prompt; results in the order of `prompts`. May be
  //! called from one thread at a time.
  virtual StatusOr<std::vector<BackendResult>> Generate(const std::vector<std::string>& prompts,
                                                        const GenerateOptions& options) = 0;
};

//! Our engine on a GGUF file. preferred_batch() is options.max_batch.
StatusOr<std::unique_ptr<Backend>> MakeLocalBackend(const std::string& model_path, const ModelOptions& options);
//! Wraps an already loaded model (owned by the backend).
std::unique_ptr<Backend> MakeLocalBackend(std::unique_ptr<Model> model, size_t preferred_batch);

}  // namespace capsfusion
