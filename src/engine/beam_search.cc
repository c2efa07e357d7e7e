#include "engine/beam_search.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/cpu_features.h"

namespace capsfusion::engine {

namespace {

// Candidate order: higher score first; ties go to the lower beam, then the
// lower token id, so the result never depends on scan order.
template <typename C>
bool Better(const C& a, const C& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.beam != b.beam) return a.beam < b.beam;
  return a.token < b.token;
}

//! The first v in [v, n) with base + lp[v] > threshold (the sum rounded to
//! float, as the candidates' scores are), or n.
int64_t NextAboveGeneric(const float* lp, int64_t v, int64_t n, float base, float threshold) {
  while (v < n && !(base + lp[v] > threshold)) ++v;
  return v;
}

__attribute__((target("avx512f"))) int64_t NextAbove512(const float* lp, int64_t v, int64_t n, float base,
                                                        float threshold) {
  const __m512 b = _mm512_set1_ps(base), t = _mm512_set1_ps(threshold);
  for (; v + 16 <= n; v += 16) {
    const __mmask16 m = _mm512_cmp_ps_mask(_mm512_add_ps(b, _mm512_loadu_ps(lp + v)), t, _CMP_GT_OQ);
    if (m != 0) return v + __builtin_ctz(m);
  }
  return NextAboveGeneric(lp, v, n, base, threshold);
}

int64_t NextAbove(const float* lp, int64_t v, int64_t n, float base, float threshold) {
  static const bool avx512 = DetectCpu().avx512f;
  return avx512 ? NextAbove512(lp, v, n, base, threshold) : NextAboveGeneric(lp, v, n, base, threshold);
}

}  // namespace

BeamSearch::BeamSearch(const BeamOptions& options) : opt_(options) {
  if (opt_.num_beams < 1) opt_.num_beams = 1;
  running_.emplace_back();
  done_ = opt_.max_new_tokens <= 0;
}

void BeamSearch::SelectTopCandidates(const std::vector<const float*>& log_probs, int64_t n_vocab, size_t k) {
  // A min-heap of the best k seen so far: its front is the worst kept candidate.
  auto worse_on_top = [](const Candidate& a, const Candidate& b) { return Better(a, b); };
  candidates_.clear();
  if (k == 0) return;
  for (size_t b = 0; b < running_.size(); ++b) {
    const float base = running_[b].score;
    const float* lp = log_probs[b];
    for (int64_t v = 0; v < n_vocab; ++v) {
      // Once k are kept, only a score above the worst kept one can enter (an
      // equal score loses the tie: this candidate comes later in scan order).
      if (candidates_.size() == k) {
        v = NextAbove(lp, v, n_vocab, base, candidates_.front().score);
        if (v == n_vocab) break;
      }
      if (std::isinf(lp[v]) && lp[v] < 0) continue;  // banned token
      const Candidate c{base + lp[v], static_cast<int>(b), static_cast<int32_t>(v)};
      if (candidates_.size() < k) {
        candidates_.push_back(c);
        std::push_heap(candidates_.begin(), candidates_.end(), worse_on_top);
      } else if (Better(c, candidates_.front())) {
        std::pop_heap(candidates_.begin(), candidates_.end(), worse_on_top);
        candidates_.back() = c;
        std::push_heap(candidates_.begin(), candidates_.end(), worse_on_top);
      }
    }
  }
  std::sort_heap(candidates_.begin(), candidates_.end(), worse_on_top);  // best first
}

void BeamSearch::Step(const std::vector<const float*>& log_probs, int64_t n_vocab, const StopFn& stops,
                      const RawLogprobFn& raw_logprob, std::vector<int>* parents) {
  parents->clear();
  if (done_) return;
  const size_t n = static_cast<size_t>(opt_.num_beams);
  SelectTopCandidates(log_probs, n_vocab, 2 * n);

  const int new_len = generated_ + 1;
  const bool at_limit = new_len >= opt_.max_new_tokens;
  const double norm = std::pow(static_cast<double>(new_len), static_cast<double>(opt_.length_penalty));

  std::vector<Beam>& next = next_;
  next.clear();
  const size_t finished_before = finished_.size();
  for (size_t i = 0; i < candidates_.size(); ++i) {
    const Candidate& c = candidates_[i];
    const bool stopped = stops(c.beam, c.token);
    const bool hit = stopped || at_limit;
    if (hit) {
      if (i < n) {  // only the first num_beams candidates may finish
        const Beam& parent = running_[c.beam];
        Hypothesis h;
        h.tokens = parent.tokens;
        h.tokens.push_back(c.token);
        h.sum_logprobs = c.score;
        h.score = static_cast<double>(c.score) / norm;
        h.logprob = parent.logprob + raw_logprob(c.beam, c.token);
        h.stopped = stopped;
        finished_.push_back(std::move(h));
      }
    } else if (next.size() < n) {
      const Beam& parent = running_[c.beam];
      Beam nb;
      nb.tokens.reserve(parent.tokens.size() + 1);
      nb.tokens = parent.tokens;
      nb.tokens.push_back(c.token);
      nb.score = c.score;
      nb.logprob = parent.logprob + raw_logprob(c.beam, c.token);
      next.push_back(std::move(nb));
      parents->push_back(c.beam);
    }
  }

  // Merge: keep the best num_beams finished hypotheses (earlier ones win ties).
  if (finished_.size() != finished_before) {
    std::stable_sort(finished_.begin(), finished_.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    if (finished_.size() > n) finished_.resize(n);
  }

  running_.swap(next);
  generated_ = new_len;

  if (running_.empty() || at_limit) {
    done_ = true;
  } else if (finished_.size() == n) {
    if (opt_.early_stopping == EarlyStopping::kTrue) {
      done_ = true;
    } else {
      const int len = (opt_.early_stopping == EarlyStopping::kNever && opt_.length_penalty > 0)
                          ? opt_.max_new_tokens
                          : generated_;
      const double best_possible =
          static_cast<double>(running_.front().score) / std::pow(static_cast<double>(len), opt_.length_penalty);
      if (!(best_possible > finished_.back().score)) done_ = true;
    }
  }
  if (done_) parents->clear();
}

}  // namespace capsfusion::engine
