// MeasureFusion and FusionCorpusMetrics (definitions in docs/metrics.md).

#include "capsfusion/fusion_metrics.h"

#include <algorithm>

#include "eval/fusion_checks.h"
#include "eval/fusion_words.h"
#include "eval/ngrams.h"

namespace capsfusion {
namespace {

using eval::FusionWord;

// A distinct content word of a source and what it is.
struct Distinct {
  const FusionWord* word;
  bool proper;
};

// Distinct content words of `words`; a word is proper when any of its
// occurrences is. Sorted by hash, so the result is the same on every run.
void DistinctContent(const std::vector<FusionWord>& words, bool title_case, std::vector<Distinct>* out) {
  out->clear();
  for (const FusionWord& w : words) {
    if (eval::IsStopword(w)) continue;
    out->push_back(Distinct{&w, eval::IsProperWord(w, title_case)});
  }
  std::sort(out->begin(), out->end(), [](const Distinct& a, const Distinct& b) {
    return a.word->hash != b.word->hash ? a.word->hash < b.word->hash : a.word->text < b.word->text;
  });
  size_t kept = 0;
  for (size_t i = 0; i < out->size(); ++i) {
    Distinct& d = (*out)[i];
    if (kept > 0) {
      Distinct& last = (*out)[kept - 1];
      if (last.word->hash == d.word->hash && last.word->text == d.word->text) {
        last.proper |= d.proper;
        continue;
      }
    }
    (*out)[kept++] = d;
  }
  out->resize(kept);
}

void FillSet(const std::vector<FusionWord>& words, eval::WordSet* set) {
  set->Clear();
  for (const FusionWord& w : words) set->Add(w);
  set->Seal();
}

uint32_t WhitespaceWords(std::string_view s) {
  uint32_t n = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < s.size()) {
    const size_t w = eval::PyWhitespaceLength(s, i);
    if (w == 0) {
      if (!in_word) ++n;
      in_word = true;
      ++i;
    } else {
      in_word = false;
      i += w;
    }
  }
  return n;
}

struct Scratch {
  eval::WordTokenizer raw, synthetic, fused;
  eval::WordSet raw_set, synthetic_set, fused_set;
  std::vector<Distinct> distinct;
};

}  // namespace

FusionItemMetrics MeasureFusion(std::string_view raw, std::string_view synthetic, std::string_view fused) {
  thread_local Scratch s;
  FusionItemMetrics m;
  const std::vector<FusionWord>& rw = s.raw.Tokenize(raw);
  const std::vector<FusionWord>& sw = s.synthetic.Tokenize(synthetic);
  const std::vector<FusionWord>& fw = s.fused.Tokenize(fused);
  FillSet(rw, &s.raw_set);
  FillSet(sw, &s.synthetic_set);
  FillSet(fw, &s.fused_set);

  DistinctContent(rw, s.raw.title_case(), &s.distinct);
  for (const Distinct& d : s.distinct) {
    const bool kept = s.fused_set.Contains(*d.word);
    ++m.raw_retention.total;
    m.raw_retention.hits += kept;
    if (d.proper) {
      ++m.proper_retention.total;
      m.proper_retention.hits += kept;
    }
    if (d.word->has_digit) {
      ++m.number_retention.total;
      m.number_retention.hits += kept;
    }
  }
  DistinctContent(sw, s.synthetic.title_case(), &s.distinct);
  for (const Distinct& d : s.distinct) {
    ++m.synthetic_retention.total;
    m.synthetic_retention.hits += s.fused_set.Contains(*d.word);
  }
  DistinctContent(fw, s.fused.title_case(), &s.distinct);
  for (const Distinct& d : s.distinct) {
    ++m.novel.total;
    m.novel.hits += !s.raw_set.Contains(*d.word) && !s.synthetic_set.Contains(*d.word);
  }

  m.fused_words = WhitespaceWords(fused);
  m.empty = m.fused_words == 0;
  const uint32_t in_sources = eval::LeakPhrases(rw) | eval::LeakPhrases(sw);
  m.prompt_leak = (eval::LeakPhrases(fw) & ~in_sources) != 0;
  m.concatenation = eval::IsConcatenationWords(rw, sw, fw);
  return m;
}

void FusionCorpusMetrics::AddShare(const Share& s, Mean* m) {
  if (!s.defined()) return;
  m->sum += s.value();
  ++m->count;
}

void FusionCorpusMetrics::AddLength(uint32_t words, uint64_t count) {
  if (words >= kHistogramSize) {
    long_lengths_[words] += count;
    return;
  }
  if (words >= length_histogram_.size()) length_histogram_.resize(words + 1, 0);
  length_histogram_[words] += count;
}

void FusionCorpusMetrics::Add(const FusionItemMetrics& item) {
  ++items_;
  AddShare(item.raw_retention, &raw_);
  AddShare(item.proper_retention, &proper_);
  AddShare(item.number_retention, &number_);
  AddShare(item.synthetic_retention, &synthetic_);
  AddShare(item.novel, &novel_);
  leaks_ += item.prompt_leak;
  concatenations_ += item.concatenation;
  empty_ += item.empty;
  words_sum_ += item.fused_words;
  AddLength(item.fused_words, 1);
}

void FusionCorpusMetrics::Merge(const FusionCorpusMetrics& o) {
  items_ += o.items_;
  for (auto [mine, theirs] : {std::pair<Mean*, const Mean*>{&raw_, &o.raw_}, {&proper_, &o.proper_},
                              {&number_, &o.number_}, {&synthetic_, &o.synthetic_}, {&novel_, &o.novel_}}) {
    mine->sum += theirs->sum;
    mine->count += theirs->count;
  }
  leaks_ += o.leaks_;
  concatenations_ += o.concatenations_;
  empty_ += o.empty_;
  words_sum_ += o.words_sum_;
  for (size_t i = 0; i < o.length_histogram_.size(); ++i) {
    if (o.length_histogram_[i]) AddLength(static_cast<uint32_t>(i), o.length_histogram_[i]);
  }
  for (const auto& [len, count] : o.long_lengths_) AddLength(len, count);
}

FusionCorpusSummary FusionCorpusMetrics::Summary() const {
  FusionCorpusSummary s;
  s.items = items_;
  auto mean = [](const Mean& m, double* value, size_t* count) {
    *value = m.count ? m.sum / static_cast<double>(m.count) : 0.0;
    *count = m.count;
  };
  mean(raw_, &s.raw_retention, &s.raw_retention_items);
  mean(proper_, &s.proper_retention, &s.proper_retention_items);
  mean(number_, &s.number_retention, &s.number_retention_items);
  mean(synthetic_, &s.synthetic_retention, &s.synthetic_retention_items);
  mean(novel_, &s.novel_rate, &s.novel_rate_items);
  s.prompt_leaks = leaks_;
  s.concatenations = concatenations_;
  s.empty = empty_;
  if (items_ == 0) return s;
  const double n = static_cast<double>(items_);
  s.prompt_leak_rate = leaks_ / n;
  s.concatenation_rate = concatenations_ / n;
  s.empty_rate = empty_ / n;
  s.words_mean = static_cast<double>(words_sum_) / n;
  // Nearest rank: the smallest length whose cumulative count reaches ceil(p n).
  auto percentile = [&](uint64_t p) -> uint32_t {
    const uint64_t rank = std::max<uint64_t>(1, (p * items_ + 99) / 100);
    uint64_t seen = 0;
    for (size_t len = 0; len < length_histogram_.size(); ++len) {
      seen += length_histogram_[len];
      if (seen >= rank) return static_cast<uint32_t>(len);
    }
    for (const auto& [len, count] : long_lengths_) {
      seen += count;
      if (seen >= rank) return len;
    }
    return 0;
  };
  s.words_p50 = percentile(50);
  s.words_p90 = percentile(90);
  return s;
}

}  // namespace capsfusion
