// Synthetic LLaMA models for tests and benchmarks: random weights of any
// supported type, a small SentencePiece-style vocabulary, written as a GGUF
// file exactly as llama.cpp lays LLaMA out.
//
// MakeRandomLlama returns an editable description (metadata + encoded tensors)
// so that tests can break one thing (drop a tensor, change a shape or a key)
// before writing it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capsfusion/status.h"
#include "gguf/gguf.h"
#include "tokenizer/llama_vocab.h"

namespace capsfusion::engine {

struct RandomLlamaConfig {
  uint32_t n_layer = 2;
  uint32_t n_embd = 64;
  uint32_t n_head = 4;
  uint32_t n_head_kv = 2;
  uint32_t n_ff = 160;
  uint32_t n_ctx = 256;
  uint32_t n_vocab = 0;  //!< 0: the simple vocabulary as is; more: padded with extra pieces
  gguf::TensorType type = gguf::TensorType::kF32;  //!< every weight matrix
  bool tied_output = false;  //!< leave output.weight out
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  float logit_scale = 4.0f;  //!< spread of the logits (larger: more peaked distributions)
  uint64_t seed = 1;
  std::string name = "random-llama";
};

//! A GGUF file before it is written.
struct GgufSpec {
  struct Tensor {
    std::string name;
    gguf::TensorType type;
    std::vector<uint64_t> shape;
    std::string bytes;
  };
  std::vector<std::pair<std::string, gguf::Value>> kvs;
  std::vector<Tensor> tensors;

  //! Replaces the value of `key` or adds it.
  void Set(const std::string& key, gguf::Value v);
  void Remove(const std::string& key);
  Tensor* FindTensor(const std::string& name);
  void RemoveTensor(const std::string& name);
  //! Replaces a tensor by random F32 data of `shape` (for shape tests).
  void ReplaceTensorF32(const std::string& name, std::vector<uint64_t> shape, uint64_t seed);
  Status Write(const std::string& path) const;
  StatusOr<std::string> WriteToString() const;
};

//! The vocabulary of the synthetic models: <unk>, <s>, </s>, the 256 byte
//! pieces, and a few dozen English pieces; padded to n_vocab (when larger) with
//! "▁wNNNN" pieces.
LlamaVocab SimpleVocab(uint32_t n_vocab = 0);

//! A LLaMA model with random weights (deterministic for a seed).
GgufSpec MakeRandomLlama(const RandomLlamaConfig& config);

}  // namespace capsfusion::engine
