// FusionModel: the LLaMA-architecture decoder in LibTorch, with the engine's
// conventions so that its weights export to GGUF as they are.
//
// - RMSNorm before attention and feed-forward, and after the last block;
// - RoPE in llama.cpp's normal mode: dimensions (2i, 2i+1) of each head form a
//   rotated pair, theta_i = pos * base^(-2i/head_dim); exported Q/K rows need
//   no permutation;
// - grouped-query attention when n_head_kv < n_head (query head h uses key/value
//   head h / (n_head / n_head_kv), llama.cpp's mapping);
// - SwiGLU feed-forward: down(silu(gate(x)) * up(x));
// - tied embeddings: the output projection is the token embedding.
//
// The optional copy head (architecture capsfusion-copy, docs/model.md): from
// the final normed hidden state h_t, a query q_t = Wq h_t attends over the copy
// keys k_j = Wk h_j of the prompt's source positions (caption tokens, not the
// special pieces); the attention weights are scattered onto those tokens' ids
// and mixed with the vocabulary softmax by a gate g_t = sigmoid(w . h_t + b):
//   p(y) = g_t * softmax(W_out h_t)[y] + (1 - g_t) * sum_{j: x_j = y} a_tj.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "train/train.h"

namespace capsfusion::train {

//! Keys and values of the positions seen so far, per layer: [B, n_head_kv, S, head_dim].
struct KvCache {
  std::vector<torch::Tensor> k, v;
};

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const ModelConfig& c);
  //! x [B,T,D]; cos/sin [B,1,T,head_dim/2]; bias additive, broadcastable to [B,H,T,S].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& bias, torch::Tensor* cache_k, torch::Tensor* cache_v);

  RmsNorm attn_norm{nullptr}, ffn_norm{nullptr};
  torch::nn::Linear wq{nullptr}, wk{nullptr}, wv{nullptr}, wo{nullptr};
  torch::nn::Linear w_gate{nullptr}, w_up{nullptr}, w_down{nullptr};
  torch::nn::Dropout drop{nullptr};

 private:
  int64_t n_head_, n_head_kv_, head_dim_;
};
TORCH_MODULE(Block);

class FusionModelImpl : public torch::nn::Module {
 public:
  explicit FusionModelImpl(const ModelConfig& config);

  //! Final normed hidden states [B,T,D] of `ids` [B,T] at positions `pos` [B,T].
  //! `bias`: additive attention bias broadcastable to [B,H,T,S] over the cached
  //! positions and these; undefined means causal over these positions alone.
  //! With `cache`, keys and values are appended to it.
  torch::Tensor Hidden(const torch::Tensor& ids, const torch::Tensor& pos, const torch::Tensor& bias = {},
                       KvCache* cache = nullptr);
  //! Vocabulary logits of hidden states [..., D] -> [..., V].
  torch::Tensor Logits(const torch::Tensor& h);
  //! Copy head parts: query and key [..., C], gate logit [...] (copy_head only).
  torch::Tensor CopyQuery(const torch::Tensor& h);
  torch::Tensor CopyKey(const torch::Tensor& h);
  torch::Tensor GateLogit(const torch::Tensor& h);

  const ModelConfig& config() const { return config_; }
  //! Where the parameters live (CPU, or a CUDA device).
  torch::Device device() const { return tok_embeddings->weight.device(); }

  //! The parameters under their GGUF tensor names, in file order. Tensors are
  //! the parameters themselves (torch layout [out, in] = GGUF {in, out}).
  std::vector<std::pair<std::string, torch::Tensor>> GgufTensors();

  torch::nn::Embedding tok_embeddings{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
  torch::nn::Linear output{nullptr};  //!< null when tied
  torch::nn::Linear copy_q{nullptr}, copy_k{nullptr}, copy_gate{nullptr};
  torch::nn::Dropout drop{nullptr};

 private:
  ModelConfig config_;
  torch::Tensor inv_freq_;  //!< [head_dim/2]
};
TORCH_MODULE(FusionModel);

//! The additive causal bias [1,1,T,T] (0 on and below the diagonal, -1e9 above).
torch::Tensor CausalBias(int64_t t, torch::Device device = torch::kCPU);

}  // namespace capsfusion::train
