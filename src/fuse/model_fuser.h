// ModelFuser: turns batches of records into fused captions with a model backend
// (our engine or a remote endpoint).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capsfusion/backend.h"
#include "capsfusion/engine.h"
#include "capsfusion/prompt.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion {

struct ModelFuserOptions {
  PromptOptions prompt;       //!< token budget of each prompt
  GenerateOptions generate;   //!< decoding settings
  //! Template to use; empty id: the model's own template when it has one, else the paper's.
  PromptTemplate prompt_template;
};

//! The result of fusing one record.
struct FusedCaption {
  std::string text;              //!< the fused caption (whitespace trimmed); empty on error
  std::string finish_reason;     //!< "stop" or "length"
  size_t prompt_tokens = 0;
  size_t new_tokens = 0;
  Status status;                 //!< non-OK when this row could not be fused (prompt too long, request failed)
  //! The next best beam hypotheses, best first (whitespace trimmed), when the
  //! decoding asked for them (GenerateOptions::num_return_sequences).
  std::vector<std::string> alternatives;
};

//! A row's prompt, built ahead of generation (e.g. on the reader thread).
struct PreparedPrompt {
  std::string text;   //!< the prompt
  size_t tokens = 0;  //!< its length in tokens (BOS included): the sort key of length batching
  Status status;      //!< non-OK: no prompt fits (the row is rejected with this reason)
};

class ModelFuser {
 public:
  //! `backend` must outlive the fuser.
  ModelFuser(Backend* backend, ModelFuserOptions options);

  //! The template in use (its id goes into provenance).
  const PromptTemplate& prompt_template() const { return template_; }

  //! Fuses every (raw, synthetic) pair; results in input order. A row whose
  //! prompt cannot be built, or whose request failed, gets a per-row error; only
  //! a backend failure fails the whole batch.
  StatusOr<std::vector<FusedCaption>> Fuse(const std::vector<const Record*>& batch);

  //! The prompt of one row. Safe to call from another thread than Generate.
  PreparedPrompt Prepare(const Record& record) const;
  //! Generates for prepared prompts (rows with a non-OK prompt get its status)
  //! with `options` (the fuser's own decoding when null).
  StatusOr<std::vector<FusedCaption>> Generate(const std::vector<const PreparedPrompt*>& prompts,
                                               const GenerateOptions* options = nullptr);
  const ModelFuserOptions& options() const { return options_; }
  Backend* backend() const { return backend_; }

 private:
  Backend* backend_;
  ModelFuserOptions options_;
  PromptTemplate template_;
};

//! Where the shipped default model is looked for, in order: $CAPSFUSION_MODEL,
//! models/capsfusion-default.gguf next to the binary's directory (build/../models),
//! then the source tree's models/ directory. Returns "" when none exists.
std::string FindDefaultModel(const std::string& argv0_dir);

}  // namespace capsfusion
