#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/vec_exp.h"

namespace capsfusion::engine {

namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t sm = seed;
  for (auto& s : s_) s = SplitMix64(&sm);
}

uint64_t Rng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

void ApplyRepetitionPenalty(float* scores, int64_t n_vocab, const int32_t* history, size_t n_history,
                            float penalty, std::vector<uint8_t>* seen) {
  if (penalty == 1.0f || n_history == 0) return;
  seen->resize(static_cast<size_t>(n_vocab), 0);
  for (size_t i = 0; i < n_history; ++i) {
    const int32_t t = history[i];
    if (t < 0 || t >= n_vocab || (*seen)[t]) continue;
    (*seen)[t] = 1;
    float& s = scores[t];
    s = s < 0 ? s * penalty : s / penalty;
  }
  for (size_t i = 0; i < n_history; ++i) {
    const int32_t t = history[i];
    if (t >= 0 && t < n_vocab) (*seen)[t] = 0;
  }
}

void ApplyNoRepeatNgram(float* scores, int64_t n_vocab, const int32_t* history, size_t n_history, int n) {
  if (n <= 0 || n_history + 1 < static_cast<size_t>(n)) return;
  if (n == 1) {  // every token already seen is banned
    for (size_t i = 0; i < n_history; ++i) {
      if (history[i] >= 0 && history[i] < n_vocab) scores[history[i]] = kNegInf;
    }
    return;
  }
  // The last n-1 tokens form the current prefix; every earlier occurrence of
  // that prefix bans the token that followed it.
  const size_t m = static_cast<size_t>(n - 1);
  const int32_t* tail = history + n_history - m;
  for (size_t start = 0; start + m < n_history; ++start) {
    if (std::equal(tail, tail + m, history + start)) {
      const int32_t banned = history[start + m];
      if (banned >= 0 && banned < n_vocab) scores[banned] = kNegInf;
    }
  }
}

void ApplyNoAdjacentRepeat(float* scores, int64_t n_vocab, const int32_t* source, size_t n_source,
                           const int32_t* generated, size_t n_generated, int max_block) {
  const int64_t n = static_cast<int64_t>(n_generated);
  for (int64_t k = 1; k <= max_block && 2 * k - 1 <= n; ++k) {
    // Appending t = generated[n-k] repeats the block generated[n-2k+1 .. n-k]
    // when the k-1 tokens after it match the k-1 tokens before it.
    bool doubled = true;
    for (int64_t i = 0; i + 1 < k && doubled; ++i) doubled = generated[n - 2 * k + 1 + i] == generated[n - k + 1 + i];
    if (!doubled) continue;
    const int32_t t = generated[n - k];
    if (t < 0 || t >= n_vocab) continue;
    // The doubled block: generated[n-2k+1 .. n-1] followed by t.
    const int64_t len = 2 * k;
    bool in_source = false;
    for (int64_t j = 0; j + len <= static_cast<int64_t>(n_source) && !in_source; ++j) {
      int64_t m = 0;
      while (m < len - 1 && source[j + m] == generated[n - 2 * k + 1 + m]) ++m;
      in_source = m == len - 1 && source[j + len - 1] == t;
    }
    if (!in_source) scores[t] = kNegInf;
  }
}

void ApplySpanContinuation(float* scores, int64_t n_vocab, const int32_t* source, size_t n_source,
                           const int32_t* generated, size_t n_generated, float bonus, int min_match,
                           bool log_probs) {
  constexpr int kMaxMatch = 32;
  if (bonus == 0.0f || min_match < 1 || n_generated < static_cast<size_t>(min_match) || n_source < 2) return;
  int best = 0;
  thread_local std::vector<int32_t> next;  // reused: decoding steps do not allocate
  next.clear();
  for (size_t j = 0; j + 1 < n_source; ++j) {  // j: the last source token of the span
    int k = 0;
    while (k < kMaxMatch && static_cast<size_t>(k) < n_generated && static_cast<size_t>(k) <= j &&
           source[j - k] == generated[n_generated - 1 - k]) {
      ++k;
    }
    if (k == 0 || k < best) continue;
    if (k > best) {
      best = k;
      next.clear();
    }
    next.push_back(source[j + 1]);
  }
  if (best < min_match) return;
  std::sort(next.begin(), next.end());
  next.erase(std::unique(next.begin(), next.end()), next.end());
  for (int32_t t : next) {
    if (t >= 0 && t < n_vocab && scores[t] > kNegInf) scores[t] += bonus;
  }
  if (!log_probs) return;
  const double lse = LogSumExp(scores, n_vocab);
  for (int64_t v = 0; v < n_vocab; ++v) scores[v] = static_cast<float>(scores[v] - lse);
}

int32_t Argmax(const float* scores, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (scores[i] > scores[best]) best = i;
  }
  return static_cast<int32_t>(best);
}

double LogSumExp(const float* x, int64_t n) {
  if (n <= 0) return -std::numeric_limits<double>::infinity();
  const float mx = MaxOf(x, n);
  if (mx == kNegInf) return -std::numeric_limits<double>::infinity();
  return mx + std::log(SumExp(x, n, mx));
}

void LogSoftmax(const float* x, int64_t n, float* y) {
  const double lse = LogSumExp(x, n);
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i] - lse);
}

int32_t TokenSampler::Sample(const float* logits, int64_t n_vocab, const SamplingParams& params, Rng* rng) {
  const float inv_t = 1.0f / params.temperature;
  probs_.resize(static_cast<size_t>(n_vocab));
  float* scaled = probs_.data();
  float mx = kNegInf;
  for (int64_t i = 0; i < n_vocab; ++i) {
    scaled[i] = logits[i] * inv_t;
    mx = std::max(mx, scaled[i]);
  }
  if (mx == kNegInf) return Argmax(logits, n_vocab);  // everything banned: fall back

  // Candidates: the top-k by score (ties at the k-th score kept, as `generate`
  // does), or every finite token.
  ids_.clear();
  float threshold = kNegInf;
  if (params.top_k > 0 && params.top_k < n_vocab) {
    ids_.resize(static_cast<size_t>(n_vocab));
    for (int64_t i = 0; i < n_vocab; ++i) ids_[i] = static_cast<int32_t>(i);
    auto kth = ids_.begin() + (params.top_k - 1);
    std::nth_element(ids_.begin(), kth, ids_.end(),
                     [&](int32_t a, int32_t b) { return scaled[a] > scaled[b]; });
    threshold = scaled[*kth];
    ids_.clear();
  }
  for (int64_t i = 0; i < n_vocab; ++i) {
    if (scaled[i] > kNegInf && scaled[i] >= threshold) ids_.push_back(static_cast<int32_t>(i));
  }

  // Unnormalised probabilities over the candidates, then top-p on the
  // renormalised distribution: keep a token while the mass ranked strictly above
  // it is below top_p (the smallest set reaching top_p, crossing token included).
  auto weight = [&](int32_t id) { return std::exp(static_cast<double>(scaled[id]) - mx); };
  double total = 0;
  for (int32_t id : ids_) total += weight(id);
  if (params.top_p < 1.0f) {
    auto by_score = [&](int32_t a, int32_t b) {
      return scaled[a] > scaled[b] || (scaled[a] == scaled[b] && a < b);
    };
    const double target = static_cast<double>(params.top_p) * total;
    // Sort only as much of the candidate list as the top-p mass needs.
    size_t sorted = std::min<size_t>(ids_.size(), 64);
    size_t keep = 0;
    for (;;) {
      std::partial_sort(ids_.begin(), ids_.begin() + sorted, ids_.end(), by_score);
      double above = 0;
      keep = 0;
      while (keep < sorted && above < target) above += weight(ids_[keep++]);
      if (above >= target || sorted == ids_.size()) break;
      sorted = std::min(ids_.size(), sorted * 4);
    }
    ids_.resize(std::max<size_t>(keep, 1));
    std::sort(ids_.begin(), ids_.end());
    total = 0;
    for (int32_t id : ids_) total += weight(id);
  }

  // Multinomial draw, walking the kept candidates in id order.
  const double u = rng->Uniform() * total;
  double acc = 0;
  for (int32_t id : ids_) {
    acc += weight(id);
    if (u < acc) return id;
  }
  return ids_.back();
}

}  // namespace capsfusion::engine
