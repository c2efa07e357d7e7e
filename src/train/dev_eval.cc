#include "train/dev_eval.h"

#include <algorithm>
#include <numeric>

#include "capsfusion/fusion_metrics.h"
#include "train/batch.h"

namespace capsfusion::train {

//! BLEU-4, ROUGE-L, CIDEr-D of `captions` against one reference each; false
//! when this build has no caption metrics (dev_scores.cc).
bool CaptionMetrics(const std::vector<std::string>& refs, const std::vector<std::string>& captions, double* bleu4,
                    double* rouge_l, double* cider);

namespace {

//! Indices of `examples` ordered by length (less padding per batch).
std::vector<size_t> ByLength(const std::vector<size_t>& lengths) {
  std::vector<size_t> order(lengths.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lengths[a] < lengths[b]; });
  return order;
}

}  // namespace

double DevLoss(FusionModel& model, const std::vector<Example>& examples, int batch_size) {
  if (examples.empty()) return 0;
  torch::NoGradGuard no_grad;
  bool was_training = model->is_training();
  model->eval();
  std::vector<size_t> lengths;
  for (const Example& e : examples) lengths.push_back(e.length());
  std::vector<size_t> order = ByLength(lengths);
  double nll = 0;
  int64_t tokens = 0;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    std::vector<const Example*> part;
    for (size_t i = start; i < std::min(order.size(), start + batch_size); ++i) part.push_back(&examples[order[i]]);
    Batch b = Collate(part);
    nll += FusionNll(model, b).item<double>();
    tokens += b.target_tokens;
  }
  model->train(was_training);
  return tokens > 0 ? nll / static_cast<double>(tokens) : 0;
}

std::vector<std::string> DecodeRows(FusionModel& model, const ExampleBuilder& builder,
                                    const std::vector<Triplet>& rows, size_t n, const GreedyOptions& options,
                                    int batch_size) {
  n = std::min(n, rows.size());
  bool was_training = model->is_training();
  model->eval();
  PromptBatch all;
  std::vector<size_t> lengths;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint8_t> src;
    all.ids.push_back(builder.Prompt(rows[i].raw, rows[i].synthetic, &src));
    all.source.push_back(std::move(src));
    lengths.push_back(all.ids.back().size());
  }
  std::vector<size_t> order = ByLength(lengths);
  std::vector<std::string> out(n);
  for (size_t start = 0; start < n; start += batch_size) {
    PromptBatch b;
    std::vector<size_t> idx;
    for (size_t i = start; i < std::min(n, start + batch_size); ++i) {
      idx.push_back(order[i]);
      b.ids.push_back(all.ids[order[i]]);
      b.source.push_back(all.source[order[i]]);
    }
    auto gen = GreedyDecode(model, b, builder.vocab().eos_id(), options);
    for (size_t k = 0; k < idx.size(); ++k) out[idx[k]] = builder.vocab().Decode(gen[k]);
  }
  model->train(was_training);
  return out;
}

void ScoreDecodes(const std::vector<Triplet>& rows, const std::vector<std::string>& captions, EvalResult* r) {
  const size_t n = std::min(rows.size(), captions.size());
  r->decoded = static_cast<int>(n);
  if (n == 0) return;
  FusionCorpusMetrics model, reference;
  std::vector<std::string> refs;
  for (size_t i = 0; i < n; ++i) {
    const Triplet& t = rows[i];
    refs.push_back(t.target);
    model.Add(MeasureFusion(t.raw, t.synthetic, captions[i]));
    reference.Add(MeasureFusion(t.raw, t.synthetic, t.target));
  }
  FusionCorpusSummary m = model.Summary(), ref = reference.Summary();
  r->leak_rate = m.prompt_leak_rate;
  r->concat_rate = m.concatenation_rate;
  r->proper_retention = m.proper_retention;
  r->number_retention = m.number_retention;
  r->reference_proper_retention = ref.proper_retention;
  r->reference_number_retention = ref.number_retention;
  std::vector<std::string> cands(captions.begin(), captions.begin() + n);
  if (!CaptionMetrics(refs, cands, &r->bleu4, &r->rouge_l, &r->cider)) r->bleu4 = r->rouge_l = r->cider = -1;
}

}  // namespace capsfusion::train
