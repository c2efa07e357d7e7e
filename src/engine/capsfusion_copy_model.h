// The "capsfusion-copy" architecture: LLaMA plus a copy head (docs/model.md).
//
// The copy head mixes the vocabulary distribution with a pointer distribution
// over the prompt's caption tokens:
//   p(y) = g p_vocab(y) + (1 - g) sum_{sources j with token y} a_j,
//   a = softmax_j(q . k_j / sqrt(C)), q = W_query h, k_j = W_key h_j,
//   g = sigmoid(w_gate . h + b_gate), h: the hidden state after output_norm.
// Forward() returns log p(y) as the logits, so decoding needs no change.
//
// Its per-position state lives in the KV cache, as one extra layer after the
// model's blocks, so that forks, shared prefixes and beams carry it without
// any bookkeeping of their own: the key slot of a position holds its copy key
// (C <= n_head_kv * head_dim floats, zero for non-sources), the value slot its
// flags [is source, end piece seen at or before it, id / 2048, id % 2048]
// (each exact in F16 too).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/llama_forward.h"

namespace capsfusion::engine {

struct CopyHeadWeights {
  uint32_t key_length = 0;  //!< C
  int32_t end_token = -1;   //!< positions from the first end token on are no sources
  WeightView query, key;    //!< {n_embd, C} each
  const float* gate = nullptr;  //!< {n_embd}
  float gate_bias = 0;
  std::vector<uint8_t> special;  //!< per token id: control, unknown or user-defined (never a source)
};

//! Reads the copy head's keys and tensors under `arch` and the token types.
StatusOr<CopyHeadWeights> LoadCopyHeadWeights(const gguf::GgufFile& file, const std::string& arch,
                                              const LlamaHparams& hp);

class CopyForward : public LlamaForward {
 public:
  CopyForward(LlamaWeights weights, CopyHeadWeights copy, const ArchitectureOptions& options);
  KvCacheConfig kv_cache_config() const override;

 protected:
  void Head(const BatchToken* tokens, int64_t n, float* x, KvCache* cache, float* logits) override;

 private:
  CopyHeadWeights c_;
  std::vector<float> hn_, keys_, rows_, qs_, kv_row_, v_row_;
};

//! The ArchitectureLoader for "capsfusion-copy".
StatusOr<std::unique_ptr<LanguageModel>> LoadCapsfusionCopy(const gguf::GgufFile& file,
                                                            const std::string& architecture,
                                                            const ArchitectureOptions& options);

}  // namespace capsfusion::engine
