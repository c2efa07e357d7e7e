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
