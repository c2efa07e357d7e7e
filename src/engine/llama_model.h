// The LLaMA architecture as llama.cpp stores it in GGUF: hyperparameters and
// weights, used in place from the file's memory map.
//
// Keys (prefix <arch>, "llama" for LLaMA itself):
//   <arch>.context_length, .embedding_length, .block_count, .feed_forward_length,
//   .attention.head_count, .attention.head_count_kv (default head_count),
//   .attention.layer_norm_rms_epsilon, .rope.freq_base (default 10000),
//   .rope.dimension_count (default head_dim), .attention.key_length /
//   .value_length (optional, default embedding_length / head_count),
//   .vocab_size (optional, must match token_embd).
// Tensors (ggml shape order, innermost first):
//   token_embd.weight {n_embd, n_vocab}        output_norm.weight {n_embd}
//   output.weight {n_embd, n_vocab} (absent: tied to token_embd)
//   blk.N.attn_norm.weight {n_embd}            blk.N.ffn_norm.weight {n_embd}
//   blk.N.attn_q.weight {n_embd, n_head*hd}    blk.N.attn_output.weight {n_head*hd, n_embd}
//   blk.N.attn_k.weight {n_embd, n_kv*hd}      blk.N.attn_v.weight {n_embd, n_kv*hd}
//   blk.N.ffn_gate.weight {n_embd, n_ff}       blk.N.ffn_up.weight {n_embd, n_ff}
//   blk.N.ffn_down.weight {n_ff, n_embd}
// Matrices may be F32, F16, Q8_0 or Q4_0 (each its own); norms are F32. The
// converter has permuted the Q/K rows so that RoPE rotates adjacent pairs
// (llama.cpp's "normal" RoPE mode). Every expected failure is a Status naming
// the key or tensor (and the expected shape), never a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "engine/kernels.h"
#include "gguf/gguf.h"

namespace capsfusion::engine {

//! Limits that reject absurd hyperparameters before anything is allocated.
struct HparamLimits {
  static constexpr uint64_t kMaxEmbd = 1 << 16;
  static constexpr uint64_t kMaxLayers = 1024;
  static constexpr uint64_t kMaxHeads = 1024;
  static constexpr uint64_t kMaxFf = 1 << 20;
  static constexpr uint64_t kMaxVocab = 1 << 24;
  static constexpr uint64_t kMaxContext = 1 << 24;
};

struct LlamaHparams {
  std::string architecture;  //!< the key prefix ("llama")
  uint32_t n_vocab = 0;
  uint32_t n_ctx_train = 0;
  uint32_t n_embd = 0;
  uint32_t n_layer = 0;
  uint32_t n_head = 0;
  uint32_t n_head_kv = 0;
  uint32_t n_ff = 0;
  uint32_t head_dim = 0;
  uint32_t rope_dims = 0;
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;

  uint32_t q_dim() const { return n_head * head_dim; }
  uint32_t kv_dim() const { return n_head_kv * head_dim; }
};

struct LlamaLayer {
  const float* attn_norm = nullptr;
  WeightView wq, wk, wv, wo;
  const float* ffn_norm = nullptr;
  WeightView w_gate, w_up, w_down;
};

//! Weights of a LLaMA model; views into a GgufFile that must outlive them.
struct LlamaWeights {
  LlamaHparams hp;
  WeightView token_embd;
  const float* output_norm = nullptr;
  WeightView output;  //!< token_embd when the file has no output.weight
  bool output_tied = false;
  std::vector<LlamaLayer> layers;
  std::string weight_type;  //!< "F32", "F16", "Q8_0", "Q4_0" or "mixed" (matrices)
  uint64_t n_params = 0;
};

//! Reads and checks the hyperparameters under `arch` (e.g. "llama").
StatusOr<LlamaHparams> ReadLlamaHparams(const gguf::GgufFile& file, const std::string& arch);

//! Reads the hyperparameters and binds every tensor, checking names, types and
//! shapes exactly.
StatusOr<LlamaWeights> LoadLlamaWeights(const gguf::GgufFile& file, const std::string& arch);

}  // namespace capsfusion::engine
