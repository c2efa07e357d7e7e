// Throughput of the caption scorers and the fusion metrics on generated data:
// ScoreTokenized on 100k (reference, candidate) pairs, MeasureFusion on 100k
// (raw, synthetic, fused) triplets, CheckFusion (every QC check) on the same
// triplets. Rates are reported as pairs/s, items/s and captions/s.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/fusion_metrics.h"
#include "capsfusion/metrics.h"
#include "capsfusion/qc.h"

namespace {

constexpr size_t kPairs = 100000;

// A small deterministic generator (the same data on every platform).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    s_ += 0x9E3779B97F4A7C15ULL;
    uint64_t z = s_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }
  size_t Below(size_t n) { return static_cast<size_t>(Uniform() * n); }

 private:
  uint64_t s_;
};

// A Zipf-like vocabulary: word i is drawn with weight about 1 / (i + 1).
class Vocabulary {
 public:
  Vocabulary(size_t size, Rng* rng) {
    for (size_t i = 0; i < size; ++i) {
      std::string w;
      const size_t len = 2 + rng->Below(8);
      for (size_t k = 0; k < len; ++k) w.push_back(static_cast<char>('a' + rng->Below(26)));
      words_.push_back(w);
    }
    log_size_ = std::log(static_cast<double>(size));
  }
  const std::string& Draw(Rng* rng) const {
    const size_t i = static_cast<size_t>(std::exp(rng->Uniform() * log_size_)) - 1;
    return words_[i < words_.size() ? i : words_.size() - 1];
  }

 private:
  std::vector<std::string> words_;
  double log_size_;
};

std::string Sentence(const Vocabulary& v, size_t words, Rng* rng) {
  std::string s;
  for (size_t i = 0; i < words; ++i) {
    if (i) s.push_back(' ');
    s += v.Draw(rng);
  }
  return s;
}

struct Pairs {
  std::vector<std::vector<std::string>> refs;
  std::vector<std::string> candidates;
};

// References of 15..30 words; candidates keep about 60% of their reference
// in order and add other words (8..20 words in all).
const Pairs& GeneratedPairs() {
  static const Pairs pairs = [] {
    Rng rng(42);
    Vocabulary vocab(30000, &rng);
    Pairs p;
    p.refs.reserve(kPairs);
    p.candidates.reserve(kPairs);
    for (size_t i = 0; i < kPairs; ++i) {
      const std::string ref = Sentence(vocab, 15 + rng.Below(16), &rng);
      std::string cand;
      size_t start = 0, words = 0;
      while (start <= ref.size()) {
        size_t end = ref.find(' ', start);
        if (end == std::string::npos) end = ref.size();
        if (rng.Uniform() < 0.6) {
          if (!cand.empty()) cand.push_back(' ');
          cand.append(ref, start, end - start);
          ++words;
        } else if (rng.Uniform() < 0.3) {
          if (!cand.empty()) cand.push_back(' ');
          cand += vocab.Draw(&rng);
          ++words;
        }
        start = end + 1;
      }
      if (words == 0) cand = vocab.Draw(&rng);
      p.refs.push_back({ref});
      p.candidates.push_back(std::move(cand));
    }
    return p;
  }();
  return pairs;
}

void BM_ScoreTokenized(benchmark::State& state) {
  const Pairs& p = GeneratedPairs();
  double cider = 0;
  for (auto _ : state) {
    const capsfusion::CorpusScores s = capsfusion::ScoreTokenized(p.refs, p.candidates);
    benchmark::DoNotOptimize(s.per_item.data());
    cider = s.corpus.cider_d;
  }
  state.counters["pairs/s"] = benchmark::Counter(static_cast<double>(kPairs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["CIDEr"] = cider;
}
BENCHMARK(BM_ScoreTokenized)->Unit(benchmark::kMillisecond)->MinTime(2.0);

struct Triplets {
  std::vector<std::string> raw, synthetic, fused;
};

// Raw captions with names and numbers, short synthetic captions, fused
// captions that mix both and add a few words; 3% concatenations.
const Triplets& GeneratedTriplets() {
  static const Triplets t = [] {
    Rng rng(7);
    Vocabulary vocab(30000, &rng);
    Triplets out;
    for (size_t i = 0; i < kPairs; ++i) {
      std::string raw;
      const size_t n = 4 + rng.Below(14);
      for (size_t k = 0; k < n; ++k) {
        if (k) raw.push_back(' ');
        std::string w = vocab.Draw(&rng);
        if (rng.Uniform() < 0.4) w[0] = static_cast<char>(w[0] - 'a' + 'A');
        if (rng.Uniform() < 0.1) w = std::to_string(rng.Below(3000));
        raw += w;
      }
      const std::string syn = "a " + Sentence(vocab, 5 + rng.Below(8), &rng) + " on the " + vocab.Draw(&rng) + ".";
      std::string fused;
      if (rng.Uniform() < 0.03) {
        fused = raw + " " + syn;
      } else {
        fused = "The " + raw + " is shown with " + syn.substr(2) + " " + Sentence(vocab, 3, &rng);
      }
      out.raw.push_back(std::move(raw));
      out.synthetic.push_back(syn);
      out.fused.push_back(std::move(fused));
    }
    return out;
  }();
  return t;
}

void BM_MeasureFusion(benchmark::State& state) {
  const Triplets& t = GeneratedTriplets();
  capsfusion::FusionCorpusSummary summary;
  for (auto _ : state) {
    capsfusion::FusionCorpusMetrics agg;
    for (size_t i = 0; i < kPairs; ++i) agg.Add(capsfusion::MeasureFusion(t.raw[i], t.synthetic[i], t.fused[i]));
    summary = agg.Summary();
    benchmark::ClobberMemory();
  }
  state.counters["items/s"] = benchmark::Counter(static_cast<double>(kPairs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["concat"] = summary.concatenation_rate;
  state.counters["raw_ret"] = summary.raw_retention;
}
BENCHMARK(BM_MeasureFusion)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// Every QC check (CheckFusion, default options) on the same triplets; compare
// with BM_MeasureFusion of the same run (both tokenize the three captions).
void BM_CheckFusion(benchmark::State& state) {
  const Triplets& t = GeneratedTriplets();
  const capsfusion::QcOptions options;
  size_t flagged = 0;
  for (auto _ : state) {
    flagged = 0;
    for (size_t i = 0; i < kPairs; ++i) {
      flagged += !capsfusion::CheckFusion(t.raw[i], t.synthetic[i], t.fused[i], options).passed();
    }
    benchmark::DoNotOptimize(flagged);
  }
  state.counters["captions/s"] =
      benchmark::Counter(static_cast<double>(kPairs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flagged"] = static_cast<double>(flagged) / kPairs;
}
BENCHMARK(BM_CheckFusion)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_IsPromptLeak(benchmark::State& state) {
  const Triplets& t = GeneratedTriplets();
  size_t leaks = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kPairs; ++i) leaks += capsfusion::IsPromptLeak(t.fused[i]);
    benchmark::DoNotOptimize(leaks);
  }
  state.counters["items/s"] = benchmark::Counter(static_cast<double>(kPairs), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_IsPromptLeak)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
