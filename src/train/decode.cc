#include "train/decode.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace capsfusion::train {

namespace {

constexpr double kMasked = -1e9;

//! Left-padded prompt tensors and the state the copy head needs.
struct Prefill {
  torch::Tensor ids, pos, bias;  // [B,P], [B,P], [B,1,P,P]
  torch::Tensor src_ids;         // [B,P] int64
  torch::Tensor src_mask;        // [B,P] bool
  torch::Tensor key_valid;       // [B,P] bool: not padding
  std::vector<int64_t> pad, len;
};

Prefill MakePrefill(const PromptBatch& prompts) {
  Prefill p;
  const int64_t n = static_cast<int64_t>(prompts.ids.size());
  int64_t width = 1;
  for (const auto& v : prompts.ids) width = std::max<int64_t>(width, static_cast<int64_t>(v.size()));
  p.ids = torch::zeros({n, width}, torch::kInt64);
  p.pos = torch::zeros({n, width}, torch::kInt64);
  p.src_mask = torch::zeros({n, width}, torch::kBool);
  p.key_valid = torch::zeros({n, width}, torch::kBool);
  auto ia = p.ids.accessor<int64_t, 2>();
  auto pa = p.pos.accessor<int64_t, 2>();
  auto sa = p.src_mask.accessor<bool, 2>();
  auto va = p.key_valid.accessor<bool, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& v = prompts.ids[i];
    const int64_t len = static_cast<int64_t>(v.size()), pad = width - len;
    p.pad.push_back(pad);
    p.len.push_back(len);
    for (int64_t t = 0; t < len; ++t) {
      ia[i][pad + t] = v[t];
      pa[i][pad + t] = t;
      va[i][pad + t] = true;
      sa[i][pad + t] = i < static_cast<int64_t>(prompts.source.size()) && t < static_cast<int64_t>(prompts.source[i].size()) &&
                       prompts.source[i][t] != 0;
    }
  }
  // Query t may see key s when s is real and s <= t; padded queries see themselves.
  auto causal = torch::ones({width, width}, torch::kBool).tril();
  auto allowed = causal.unsqueeze(0).logical_and(p.key_valid.unsqueeze(1));
  allowed = allowed.logical_or(torch::eye(width, torch::kBool).unsqueeze(0));
  p.bias = torch::zeros({n, width, width}).masked_fill(allowed.logical_not(), kMasked).unsqueeze(1);
  p.src_ids = p.ids;
  return p;
}

//! Moves the prefill tensors to the model's device.
void ToDevice(Prefill* p, torch::Device dev) {
  if (dev == p->ids.device()) return;
  for (torch::Tensor* t : {&p->ids, &p->pos, &p->bias, &p->src_ids, &p->src_mask, &p->key_valid}) *t = t->to(dev);
}

//! log p(next) from the last hidden states h [B,D] and the copy state.
torch::Tensor MixLogProbs(FusionModel& model, const torch::Tensor& h, const torch::Tensor& copy_keys,
                          const torch::Tensor& src_ids, const torch::Tensor& src_mask) {
  auto logp_v = torch::log_softmax(model->Logits(h), -1);
  if (!model->config().copy_head) return logp_v;
  const double scale = 1.0 / std::sqrt(static_cast<double>(model->config().copy_width()));
  auto q = model->CopyQuery(h);                                               // [B,C]
  auto scores = torch::bmm(copy_keys, q.unsqueeze(2)).squeeze(2) * scale;     // [B,S]
  auto a = torch::softmax(scores.masked_fill(src_mask.logical_not(), kMasked), -1);
  a = a * src_mask.to(a.scalar_type());
  auto pc = torch::zeros_like(logp_v).scatter_add(1, src_ids, a);
  auto z = model->GateLogit(h);                                               // [B]
  return torch::logaddexp(torch::log_sigmoid(z).unsqueeze(1) + logp_v, torch::log_sigmoid(-z).unsqueeze(1) + torch::log(pc));
}

}  // namespace

torch::Tensor NextTokenLogProbs(FusionModel& model, const PromptBatch& prompts) {
  torch::NoGradGuard no_grad;
  Prefill p = MakePrefill(prompts);
  ToDevice(&p, model->device());
  auto h = model->Hidden(p.ids, p.pos, p.bias);
  auto last = h.select(1, h.size(1) - 1);
  torch::Tensor keys;
  if (model->config().copy_head) keys = model->CopyKey(h);
  return MixLogProbs(model, last, keys, p.src_ids, p.src_mask).to(torch::kCPU);
}

std::vector<std::vector<int32_t>> GreedyDecode(FusionModel& model, const PromptBatch& prompts, int32_t eos,
                                               const GreedyOptions& options) {
  torch::NoGradGuard no_grad;
  const int64_t n = static_cast<int64_t>(prompts.ids.size());
  std::vector<std::vector<int32_t>> out(n);
  if (n == 0) return out;
  const torch::Device dev = model->device();
  Prefill p = MakePrefill(prompts);
  ToDevice(&p, dev);
  KvCache cache;
  auto h = model->Hidden(p.ids, p.pos, p.bias, &cache);
  torch::Tensor keys;
  if (model->config().copy_head) keys = model->CopyKey(h);
  auto last = h.select(1, h.size(1) - 1);
  auto key_valid = p.key_valid;
  std::vector<bool> done(n, false);
  const int ng = options.no_repeat_ngram;
  const float neg_inf = -std::numeric_limits<float>::infinity();
  for (int step = 0; step < options.max_new_tokens; ++step) {
    auto logp = MixLogProbs(model, last, keys, p.src_ids, p.src_mask).to(torch::kCPU).contiguous();
    auto la = logp.accessor<float, 2>();
    std::vector<int64_t> next(n, eos);
    for (int64_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      const auto& gen = out[i];
      if (ng > 0 && gen.size() >= static_cast<size_t>(ng)) {
        // Ban every token that would complete an n-gram already generated.
        const size_t k = gen.size() - (ng - 1);
        for (size_t s = 0; s + ng <= gen.size(); ++s) {
          if (std::equal(gen.begin() + s, gen.begin() + s + ng - 1, gen.begin() + k)) la[i][gen[s + ng - 1]] = neg_inf;
        }
      }
      int64_t best = 0;
      for (int64_t v = 1; v < logp.size(1); ++v) {
        if (la[i][v] > la[i][best]) best = v;
      }
      next[i] = best;
      if (best == eos) {
        done[i] = true;
      } else {
        out[i].push_back(static_cast<int32_t>(best));
      }
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    auto ids = torch::tensor(next, torch::kInt64).unsqueeze(1).to(dev);
    std::vector<int64_t> positions(n);
    for (int64_t i = 0; i < n; ++i) positions[i] = p.len[i] + step;
    auto pos = torch::tensor(positions, torch::kInt64).unsqueeze(1).to(dev);
    key_valid = torch::cat({key_valid, torch::ones({n, 1}, key_valid.options())}, 1);
    auto bias = torch::zeros({n, key_valid.size(1)}, torch::TensorOptions().device(dev)).masked_fill(key_valid.logical_not(), kMasked).view({n, 1, 1, -1});
    last = model->Hidden(ids, pos, bias, &cache).select(1, 0);
  }
  return out;
}

}  // namespace capsfusion::train
