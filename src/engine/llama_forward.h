// The LLaMA forward pass over a batch of (sequence, token, position) entries.
//
// Per layer: RMSNorm, Q/K/V projections (one MatMul per weight for the whole
// batch), RoPE (normal mode, from a cos/sin table), K/V appended to each
// sequence's cache, causal attention of every token over its own sequence,
// output projection and residual, RMSNorm, SwiGLU feed-forward and residual.
// The final norm and the vocabulary projection run only for the rows that asked
// for logits. The matrices are packed once at load (ArchitectureOptions::
// pack_weights). Buffers are kept between calls, so a steady decoding loop does no
// allocation; batches larger than an internal chunk are processed in chunks,
// which is equivalent because attention is causal.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "engine/architecture.h"
#include "engine/language_model.h"
#include "engine/llama_model.h"
#include "engine/packed_weights.h"
#include "engine/weight_arena.h"

namespace capsfusion::engine {

class ThreadPool;

class LlamaForward : public LanguageModel {
 public:
  //! `weights` point into a file that must outlive this object.
  LlamaForward(LlamaWeights weights, const ArchitectureOptions& options);

  const ModelShape& shape() const override { return shape_; }
  const std::string& weight_type() const override { return w_.weight_type; }
  uint64_t n_params() const override { return w_.n_params; }
  uint32_t context_length() const override { return n_ctx_; }
  KvCacheConfig kv_cache_config() const override;
  Status Forward(const std::vector<BatchToken>& batch, KvCache* cache, std::vector<float>* logits) override;

  const LlamaWeights& weights() const { return w_; }

  //! Tokens per internal chunk (bounds the activation buffers).
  static constexpr int64_t kMaxChunk = 512;

 protected:
  //! What follows the last block: the final norm and the vocabulary projection
  //! of the rows that asked for logits (logit_rows_). `x` holds the chunk's n
  //! residual rows. An architecture that extends LLaMA (capsfusion-copy,
  //! copy_forward.h) overrides it; the KV cache is passed for its own state.
  virtual void Head(const BatchToken* tokens, int64_t n, float* x, KvCache* cache, float* logits);

  Status Validate(const std::vector<BatchToken>& batch, const KvCache& cache) const;
  void RunChunk(const BatchToken* tokens, int64_t n, KvCache* cache, float* logits);
  void EnsureRopeTable(int32_t max_pos);
  void ApplyRope(float* x, int n_heads, int32_t pos) const;

  //! The matrices of one layer as MatMul reads them.
  struct PackedLayer {
    PackedWeights wq, wk, wv, wo, w_gate, w_up, w_down;
  };

  LlamaWeights w_;
  WeightArena arena_;                //!< storage of every packed matrix (before packed_)
  std::vector<PackedLayer> packed_;  //!< one per layer
  PackedWeights packed_output_;
  ModelShape shape_;
  ThreadPool* pool_;
  uint32_t n_ctx_;
  KvType kv_type_;

  // Workspace (grown on demand, reused).
  std::vector<float> x_, xn_, q_, k_, v_, att_, gate_, up_, tmp_;
  std::vector<int32_t> ids_, seqs_, pos_, logit_rows_;
  std::vector<float> rope_cos_, rope_sin_;  // [pos][rope_dims / 2]
  mutable std::vector<std::pair<int32_t, int32_t>> seq_scratch_;  // (seq, next position)
  int32_t rope_positions_ = 0;
};

//! make() (a new model, whose constructor packs its weights) as a StatusOr: a
//! bad shape or a lack of memory while packing becomes an error, not a throw.
StatusOr<std::unique_ptr<LanguageModel>> ConstructPacked(const std::function<LanguageModel*()>& make);

//! The ArchitectureLoader for "llama".
StatusOr<std::unique_ptr<LanguageModel>> LoadLlama(const gguf::GgufFile& file, const std::string& architecture,
                                                   const ArchitectureOptions& options);

}  // namespace capsfusion::engine
