// Writing a trained model into a GGUF file (the format the engine and llama.cpp load).
//
// Metadata: the llama hyperparameter keys under the architecture's prefix
// ("llama." or "capsfusion-copy."), the SentencePiece vocabulary as
// tokenizer.ggml.* (model "llama"), the compact prompt template as
// capsfusion.prompt_template, and the run's provenance as capsfusion.training.*.
// Tensors keep llama.cpp's names and need no permutation (RoPE is trained in
// llama.cpp's normal mode). docs/model.md documents the copy head's extra keys
// and tensors.
#pragma once

#include <optional>
#include <string>

#include "capsfusion/status.h"
#include "gguf/gguf.h"
#include "train/model.h"
#include "train/vocab.h"

namespace capsfusion::train {

//! "llama" for a plain model, "capsfusion-copy" with a copy head.
const char* ArchitectureName(const ModelConfig& config);

struct GgufModelInfo {
  std::string name;
  std::string prompt_template;
  std::string run_config_json;  //!< stored as capsfusion.training.config
  int64_t step = 0;
  int32_t copy_end_token_id = -1;  //!< the template's end piece (copy sources precede it)
  bool quantize_q8_0 = false;   //!< matrices whose rows are a multiple of 32 become Q8_0
  int num_beams = 0;            //!< > 0: stored as the beam width the model was tuned for
  std::optional<float> length_penalty;  //!< stored as the length penalty it was tuned for
  std::optional<float> span_bonus;      //!< stored as the span continuation it was tuned for
  int span_min_match = 0;               //!< > 0: stored with it
};

//! Adds the hyperparameters and tensors of `model` to `writer`; returns the
//! parameter count through `n_params`.
Status WriteModel(FusionModel& model, const Vocab& vocab, const GgufModelInfo& info, gguf::GgufWriter* writer,
                  uint64_t* n_params);

}  // namespace capsfusion::train
