#include "train/model.h"

#include <cmath>

namespace capsfusion::train {

namespace {

constexpr double kMasked = -1e9;

torch::nn::Linear MakeLinear(int64_t in, int64_t out, bool bias = false) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

//! Rotates pairs (2i, 2i+1) of the last dimension: x [B,H,T,hd], cos/sin [B,1,T,hd/2].
torch::Tensor ApplyRope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  auto sizes = x.sizes().vec();
  auto xr = x.reshape({sizes[0], sizes[1], sizes[2], sizes[3] / 2, 2});
  auto x0 = xr.select(-1, 0), x1 = xr.select(-1, 1);
  auto o0 = x0 * cos - x1 * sin;
  auto o1 = x0 * sin + x1 * cos;
  return torch::stack({o0, o1}, -1).reshape(sizes);
}

}  // namespace

torch::Tensor CausalBias(int64_t t, torch::Device device) {
  return torch::full({t, t}, kMasked, torch::TensorOptions().device(device)).triu(1).reshape({1, 1, t, t});
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) {
  auto inv = torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps_);
  return x * inv * weight;
}

BlockImpl::BlockImpl(const ModelConfig& c)
    : n_head_(c.n_head), n_head_kv_(c.kv_heads()), head_dim_(c.head_dim()) {
  attn_norm = register_module("attn_norm", RmsNorm(c.n_embd, c.rms_eps));
  wq = register_module("wq", MakeLinear(c.n_embd, c.n_head * head_dim_));
  wk = register_module("wk", MakeLinear(c.n_embd, n_head_kv_ * head_dim_));
  wv = register_module("wv", MakeLinear(c.n_embd, n_head_kv_ * head_dim_));
  wo = register_module("wo", MakeLinear(c.n_head * head_dim_, c.n_embd));
  ffn_norm = register_module("ffn_norm", RmsNorm(c.n_embd, c.rms_eps));
  w_gate = register_module("w_gate", MakeLinear(c.n_embd, c.n_ff));
  w_up = register_module("w_up", MakeLinear(c.n_embd, c.n_ff));
  w_down = register_module("w_down", MakeLinear(c.n_ff, c.n_embd));
  drop = register_module("drop", torch::nn::Dropout(c.dropout));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                 const torch::Tensor& bias, torch::Tensor* cache_k, torch::Tensor* cache_v) {
  const int64_t b = x.size(0), t = x.size(1);
  auto h = attn_norm(x);
  auto q = wq(h).view({b, t, n_head_, head_dim_}).transpose(1, 2);
  auto k = wk(h).view({b, t, n_head_kv_, head_dim_}).transpose(1, 2);
  auto v = wv(h).view({b, t, n_head_kv_, head_dim_}).transpose(1, 2);
  q = ApplyRope(q, cos, sin);
  k = ApplyRope(k, cos, sin);
  if (cache_k != nullptr) {
    if (cache_k->defined()) {
      k = torch::cat({*cache_k, k}, 2);
      v = torch::cat({*cache_v, v}, 2);
    }
    *cache_k = k;
    *cache_v = v;
  }
  if (n_head_kv_ != n_head_) {
    k = k.repeat_interleave(n_head_ / n_head_kv_, 1);
    v = v.repeat_interleave(n_head_ / n_head_kv_, 1);
  }
  auto att = torch::matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(static_cast<double>(head_dim_)));
  att = torch::softmax(att + bias, -1);
  auto o = torch::matmul(att, v).transpose(1, 2).reshape({b, t, n_head_ * head_dim_});
  auto x1 = x + drop(wo(o));
  auto h2 = ffn_norm(x1);
  return x1 + drop(w_down(torch::silu(w_gate(h2)) * w_up(h2)));
}

FusionModelImpl::FusionModelImpl(const ModelConfig& c) : config_(c) {
  tok_embeddings = register_module("tok_embeddings", torch::nn::Embedding(c.n_vocab, c.n_embd));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.n_layer; ++i) layers->push_back(Block(c));
  norm = register_module("norm", RmsNorm(c.n_embd, c.rms_eps));
  if (!c.tie_embeddings) output = register_module("output", MakeLinear(c.n_embd, c.n_vocab));
  if (c.copy_head) {
    copy_q = register_module("copy_q", MakeLinear(c.n_embd, c.copy_width()));
    copy_k = register_module("copy_k", MakeLinear(c.n_embd, c.copy_width()));
    copy_gate = register_module("copy_gate", MakeLinear(c.n_embd, 1, /*bias=*/true));
  }
  drop = register_module("drop", torch::nn::Dropout(c.dropout));
  const int64_t hd = c.head_dim();
  inv_freq_ = torch::pow(static_cast<double>(c.rope_freq_base),
                         -torch::arange(0, hd, 2, torch::kFloat64) / static_cast<double>(hd))
                  .to(torch::kFloat32);

  // GPT-2 style initialisation; residual output projections scaled by depth.
  torch::NoGradGuard no_grad;
  const double std = 0.02, std_out = 0.02 / std::sqrt(2.0 * std::max(1, c.n_layer));
  for (auto& p : named_parameters()) {
    const std::string& name = p.key();
    if (p.value().dim() < 2) {
      if (name.find("copy_gate.bias") != std::string::npos) p.value().zero_();
      continue;
    }
    bool out = name.find(".wo.") != std::string::npos || name.find(".w_down.") != std::string::npos;
    p.value().normal_(0.0, out ? std_out : std);
  }
}

torch::Tensor FusionModelImpl::Hidden(const torch::Tensor& ids, const torch::Tensor& pos, const torch::Tensor& bias,
                                      KvCache* cache) {
  const int64_t t = ids.size(1);
  if (inv_freq_.device() != pos.device()) inv_freq_ = inv_freq_.to(pos.device());
  auto angles = pos.to(torch::kFloat32).unsqueeze(-1) * inv_freq_;  // [B,T,hd/2]
  auto cos = torch::cos(angles).unsqueeze(1), sin = torch::sin(angles).unsqueeze(1);
  torch::Tensor b = bias.defined() ? bias : CausalBias(t, ids.device());
  auto x = drop(tok_embeddings(ids));
  if (cache != nullptr && cache->k.empty()) {
    cache->k.resize(layers->size());
    cache->v.resize(layers->size());
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    x = layers[i]->as<Block>()->forward(x, cos, sin, b, cache ? &cache->k[i] : nullptr,
                                        cache ? &cache->v[i] : nullptr);
  }
  return norm(x);
}

torch::Tensor FusionModelImpl::Logits(const torch::Tensor& h) {
  if (output) return output(h);
  return torch::matmul(h, tok_embeddings->weight.t());
}

torch::Tensor FusionModelImpl::CopyQuery(const torch::Tensor& h) { return copy_q(h); }
torch::Tensor FusionModelImpl::CopyKey(const torch::Tensor& h) { return copy_k(h); }
torch::Tensor FusionModelImpl::GateLogit(const torch::Tensor& h) { return copy_gate(h).squeeze(-1); }

std::vector<std::pair<std::string, torch::Tensor>> FusionModelImpl::GgufTensors() {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  out.emplace_back("token_embd.weight", tok_embeddings->weight);
  for (size_t i = 0; i < layers->size(); ++i) {
    auto blk = layers[i]->as<Block>();
    std::string p = "blk." + std::to_string(i) + ".";
    out.emplace_back(p + "attn_norm.weight", blk->attn_norm->weight);
    out.emplace_back(p + "attn_q.weight", blk->wq->weight);
    out.emplace_back(p + "attn_k.weight", blk->wk->weight);
    out.emplace_back(p + "attn_v.weight", blk->wv->weight);
    out.emplace_back(p + "attn_output.weight", blk->wo->weight);
    out.emplace_back(p + "ffn_norm.weight", blk->ffn_norm->weight);
    out.emplace_back(p + "ffn_gate.weight", blk->w_gate->weight);
    out.emplace_back(p + "ffn_up.weight", blk->w_up->weight);
    out.emplace_back(p + "ffn_down.weight", blk->w_down->weight);
  }
  out.emplace_back("output_norm.weight", norm->weight);
  if (output) out.emplace_back("output.weight", output->weight);
  if (copy_q) {
    out.emplace_back("copy.query.weight", copy_q->weight);
    out.emplace_back("copy.key.weight", copy_k->weight);
    out.emplace_back("copy.gate.weight", copy_gate->weight);
    out.emplace_back("copy.gate.bias", copy_gate->bias);
  }
  return out;
}

}  // namespace capsfusion::train
