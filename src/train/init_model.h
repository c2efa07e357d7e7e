// Starting a run from an existing GGUF model (`capsfusion train --init FILE.gguf`).
//
// The file decides the model's shape (the llama hyperparameter keys under
// "llama." or "capsfusion-copy."), its tokenizer (tokenizer.ggml.*, written to
// the run as a SentencePiece .model) and its prompt template
// (capsfusion.prompt_template, when present). Its tensors, F32, F16, Q8_0 or
// Q4_0, become the initial weights; quantized ones are dequantized, so a Q8_0
// file starts from its rounded weights. Files the engine loads and the trainer
// can express qualify: plain LLaMA (tied or separate output) and
// capsfusion-copy, with RoPE over the whole head.
#pragma once

#include <memory>
#include <string>

#include "capsfusion/status.h"
#include "tokenizer/llama_vocab.h"
#include "train/model.h"
#include "train/train.h"

namespace capsfusion::gguf {
class GgufFile;
}  // namespace capsfusion::gguf

namespace capsfusion::train {

//! What a GGUF file says about the model it holds.
struct InitModel {
  ModelConfig config;           //!< shape, from the file (dropout left at its default)
  LlamaVocab vocab;             //!< the tokenizer
  std::string prompt_template;  //!< capsfusion.prompt_template, or empty
  std::string architecture;     //!< "llama" or "capsfusion-copy"
  std::string sha256;           //!< of the whole file
  std::shared_ptr<const gguf::GgufFile> file;  //!< the open file, for LoadInitWeights
};

//! Reads the shape, tokenizer and template of the model at `path`. Errors name
//! the file and the key: NotSupported for an architecture or layout the trainer
//! cannot express.
StatusOr<InitModel> ReadInitModel(const std::string& path);

//! Copies the tensors of the file `init` was read from into `model`, whose
//! shape must be the file's. Every parameter must be present with its exact
//! element count.
Status LoadInitWeights(const InitModel& init, FusionModel& model);

}  // namespace capsfusion::train
