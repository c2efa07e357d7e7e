#include "train/batch.h"

#include <algorithm>
#include <cmath>

namespace capsfusion::train {

Batch Collate(const std::vector<const Example*>& examples) {
  Batch b;
  const int64_t n = static_cast<int64_t>(examples.size());
  int64_t t_max = 1;
  for (const Example* e : examples) t_max = std::max<int64_t>(t_max, static_cast<int64_t>(e->length()) - 1);
  auto ids = torch::zeros({n, t_max}, torch::kInt64);
  auto labels = torch::full({n, t_max}, -1, torch::kInt64);
  auto source = torch::zeros({n, t_max}, torch::kBool);
  auto copy_rows = torch::zeros({n}, torch::kBool);
  auto ia = ids.accessor<int64_t, 2>();
  auto la = labels.accessor<int64_t, 2>();
  auto sa = source.accessor<bool, 2>();
  auto ca = copy_rows.accessor<bool, 1>();
  for (int64_t i = 0; i < n; ++i) {
    const Example& e = *examples[i];
    const int64_t p = static_cast<int64_t>(e.prompt.size());
    const int64_t len = static_cast<int64_t>(e.length()) - 1;
    auto token = [&](int64_t k) -> int64_t { return k < p ? e.prompt[k] : e.target[k - p]; };
    for (int64_t t = 0; t < len; ++t) {
      ia[i][t] = token(t);
      if (t + 1 >= p) la[i][t] = token(t + 1);
      if (t < p) sa[i][t] = e.source[t] != 0;
    }
    ca[i] = !e.lm;
    b.target_tokens += len + 1 - p;
    b.tokens += len;
  }
  b.ids = ids;
  b.labels = labels;
  b.source = source;
  b.copy_rows = copy_rows;
  return b;
}

torch::Tensor FusionNll(FusionModel& model, const Batch& batch, double label_smoothing) {
  const int64_t n = batch.ids.size(0), t = batch.ids.size(1);
  const torch::Device dev = model->device();
  const double eps = label_smoothing;
  auto ids = batch.ids.to(dev), labels = batch.labels.to(dev), source = batch.source.to(dev);
  auto pos = torch::arange(t, ids.options()).unsqueeze(0).expand({n, t});
  auto h = model->Hidden(ids, pos);  // [B,T,D]
  auto flat_labels = labels.reshape({-1});
  auto sel = (flat_labels >= 0).nonzero().squeeze(1);
  auto ys = flat_labels.index_select(0, sel);
  auto hs = h.reshape({n * t, -1}).index_select(0, sel);
  auto logp_all = torch::log_softmax(model->Logits(hs), -1);  // [N,V]
  auto logp_v = logp_all.gather(1, ys.unsqueeze(1)).squeeze(1);
  if (!model->config().copy_head) {
    if (eps <= 0) return -logp_v.sum();
    return -((1.0 - eps) * logp_v + eps * logp_all.mean(-1)).sum();
  }

  const double scale = 1.0 / std::sqrt(static_cast<double>(model->config().copy_width()));
  auto q = model->CopyQuery(h), k = model->CopyKey(h);
  auto scores = torch::bmm(q, k.transpose(1, 2)) * scale;           // [B,T,T]
  auto allowed = source.unsqueeze(1).expand({n, t, t});        // sources precede every labelled position
  auto a = torch::softmax(scores.masked_fill(allowed.logical_not(), -1e9), -1);
  auto match = (ids.unsqueeze(1) == labels.unsqueeze(2)).logical_and(allowed);
  auto pc = (a * match.to(a.scalar_type())).sum(-1).reshape({-1}).index_select(0, sel);
  auto z = model->GateLogit(h).reshape({-1}).index_select(0, sel);
  auto logp_mix = torch::logaddexp(torch::log_sigmoid(z) + logp_v, torch::log_sigmoid(-z) + torch::log(pc + 1e-10));
  auto row = torch::div(sel, t, "floor");
  auto use_copy = batch.copy_rows.to(dev).index_select(0, row);
  auto nll = -torch::where(use_copy, logp_mix, logp_v);
  if (eps <= 0) return nll.sum();

  // The whole mixture: copy attention scattered onto the source tokens' ids.
  auto a_sel = (a * allowed.to(a.scalar_type())).reshape({n * t, t}).index_select(0, sel);  // [N,T]
  auto copy_v = torch::zeros_like(logp_all).scatter_add(1, ids.index_select(0, row), a_sel);
  auto gate = torch::sigmoid(z).unsqueeze(1);
  auto p_mix = gate * logp_all.exp() + (1 - gate) * copy_v;
  auto logp_mix_all = torch::log(p_mix.clamp_min(1e-30));
  auto smooth = -torch::where(use_copy.unsqueeze(1), logp_mix_all, logp_all).mean(-1);
  return ((1.0 - eps) * nll + eps * smooth).sum();
}

}  // namespace capsfusion::train
