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

torch::Tensor FusionNll(FusionModel& model, const Batch& batch) {
  const int64_t n = batch.ids.size(0), t = batch.ids.size(1);
  const torch::Device dev = model->device();
  auto ids = batch.ids.to(dev), labels = batch.labels.to(dev), source = batch.source.to(dev);
  auto pos = torch::arange(t, ids.options()).unsqueeze(0).expand({n, t});
  auto h = model->Hidden(ids, pos);  // [B,T,D]
  auto flat_labels = labels.reshape({-1});
  auto sel = (flat_labels >= 0).nonzero().squeeze(1);
  auto ys = flat_labels.index_select(0, sel);
  auto hs = h.reshape({n * t, -1}).index_select(0, sel);
  auto logp_v = torch::log_softmax(model->Logits(hs), -1).gather(1, ys.unsqueeze(1)).squeeze(1);
  if (!model->config().copy_head) return -logp_v.sum();

  const double scale = 1.0 / std::sqrt(static_cast<double>(model->config().copy_width()));
  auto q = model->CopyQuery(h), k = model->CopyKey(h);
  auto scores = torch::bmm(q, k.transpose(1, 2)) * scale;           // [B,T,T]
  auto allowed = source.unsqueeze(1).expand({n, t, t});        // sources precede every labelled position
  auto a = torch::softmax(scores.masked_fill(allowed.logical_not(), -1e9), -1);
  auto match = (ids.unsqueeze(1) == labels.unsqueeze(2)).logical_and(allowed);
  auto pc = (a * match.to(a.scalar_type())).sum(-1).reshape({-1}).index_select(0, sel);
  auto z = model->GateLogit(h).reshape({-1}).index_select(0, sel);
  auto logp_mix = torch::logaddexp(torch::log_sigmoid(z) + logp_v, torch::log_sigmoid(-z) + torch::log(pc + 1e-10));
  auto use_copy = batch.copy_rows.to(dev).index_select(0, torch::div(sel, t, "floor"));
  return -torch::where(use_copy, logp_mix, logp_v).sum();
}

}  // namespace capsfusion::train
