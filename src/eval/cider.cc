// CIDEr-D as pycocoevalcap's CiderScorer computes it (n = 4, sigma = 6).
//
// Per n-gram the weight is tf * (log(N) - log(max(1, df))); per order the norm
// is the square root of the sum of squared weights in insertion order; the
// similarity adds min(w_hyp, w_ref) * w_ref in hypothesis order, divides by
// both norms when neither is 0 and multiplies by e^(-delta^2 / 72), where delta
// is the difference in bigram counts. The item score is the mean over the four
// orders, summed over the references, divided by their number, times 10.

#include <algorithm>
#include <cmath>

#include "eval/scorers.h"

namespace capsfusion::eval {
namespace {
constexpr double kE = 2.718281828459045;  // numpy's np.e (M_E)
constexpr double kTwoSigmaSquared = 2 * 6.0 * 6.0;
}  // namespace

void CiderD::AddReference(uint32_t item, const NGramView& ref) {
  for (uint32_t r = 0; r < ref.size; ++r) {
    const NGramCount& g = ref.entries[r];
    if (g.id >= NGramTable::kLocalBase) continue;  // never for table ids
    if (g.id >= df_.size()) {
      const size_t size = std::max<size_t>(g.id + 1, df_.size() * 2);
      df_.resize(size, 0);
      last_item_.resize(size, 0);
    }
    if (last_item_[g.id] != item + 1) {
      last_item_[g.id] = item + 1;
      ++df_[g.id];
    }
  }
}

void CiderD::Finish(size_t num_items) {
  log_num_items_ = std::log(static_cast<double>(num_items));
  uint32_t max_df = 0;
  for (uint32_t d : df_) max_df = std::max(max_df, d);
  log_cache_.resize(static_cast<size_t>(max_df) + 1);
  log_cache_[0] = std::log(1.0);  // max(1.0, 0)
  for (uint32_t d = 1; d <= max_df; ++d) log_cache_[d] = std::log(static_cast<double>(d));
  last_item_.clear();
  last_item_.shrink_to_fit();
}

double CiderD::LogDf(uint32_t id) {
  const uint32_t d = id < df_.size() ? df_[id] : 0;
  return d < log_cache_.size() ? log_cache_[d] : std::log(static_cast<double>(d));
}

void CiderD::MakeVec(const NGramView& counts, Vec* vec) {
  vec->weight.resize(counts.size);
  vec->length = 0;
  for (int k = 0; k < kMaxOrder; ++k) {
    double norm = 0.0;
    for (uint32_t e = counts.begin[k]; e < counts.begin[k + 1]; ++e) {
      const NGramCount& g = counts.entries[e];
      const double w = static_cast<double>(g.count) * (log_num_items_ - LogDf(g.id));
      vec->weight[e] = w;
      norm += w * w;
      if (k == 1) vec->length += g.count;
    }
    vec->norm[k] = std::sqrt(norm);
  }
}

double CiderD::Score(const NGramView& hyp, const std::vector<NGramView>& refs) {
  if (refs.empty()) return 0.0;
  MakeVec(hyp, &hyp_vec_);
  const size_t n = hyp.size;
  index_.Reset(n);
  for (uint32_t e = 0; e < n; ++e) {
    bool inserted;
    index_.Insert(hyp.entries[e].id, e, &inserted);
  }
  ref_weight_.assign(n, 0.0);
  std::array<double, kMaxOrder> score{};
  for (const NGramView& ref : refs) {
    MakeVec(ref, &ref_vec_);
    for (uint32_t r = 0; r < ref.size; ++r) {
      if (const uint32_t* e = index_.Find(ref.entries[r].id)) ref_weight_[*e] = ref_vec_.weight[r];
    }
    const double delta = static_cast<double>(hyp_vec_.length - ref_vec_.length);
    const double penalty = std::pow(kE, -(delta * delta) / kTwoSigmaSquared);
    for (int k = 0; k < kMaxOrder; ++k) {
      double val = 0.0;
      for (uint32_t e = hyp.begin[k]; e < hyp.begin[k + 1]; ++e) {
        const double r = ref_weight_[e];
        val += std::min(hyp_vec_.weight[e], r) * r;
      }
      if (hyp_vec_.norm[k] != 0 && ref_vec_.norm[k] != 0) val /= (hyp_vec_.norm[k] * ref_vec_.norm[k]);
      val *= penalty;
      score[k] += val;
    }
    std::fill(ref_weight_.begin(), ref_weight_.end(), 0.0);
  }
  double mean = 0.0;
  for (double s : score) mean += s;
  mean /= static_cast<double>(kMaxOrder);
  mean /= static_cast<double>(refs.size());
  mean *= 10.0;
  return mean;
}

}  // namespace capsfusion::eval
