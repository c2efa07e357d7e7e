#include "report/source_accumulator.h"

#include <algorithm>

namespace capsfusion::report {

SourceAccumulator::SourceAccumulator(std::string role, std::string field, size_t trigram_capacity)
    : role_(std::move(role)), field_(std::move(field)), top_trigrams_(trigram_capacity) {}

void SourceAccumulator::Add(const std::vector<CaptionWord>& words, const std::vector<uint32_t>& ids,
                            const std::vector<uint8_t>& kinds, uint64_t tokens) {
  ++rows_;
  if (words.empty()) ++empty_;
  words_.Add(words.size());
  tokens_.Add(tokens);
  uint64_t proper = 0, numbers = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    const uint32_t id = ids[i];
    if (id >= counts_.size()) counts_.resize(std::max<size_t>(id + 1, counts_.size() * 3 / 2), 0);
    ++counts_[id];
    numbers += kinds[i] == kNumber;
    proper += kinds[i] == kProper;
  }
  proper_ += proper;
  numbers_ += numbers;
  rows_with_proper_ += proper > 0;
  rows_with_number_ += numbers > 0;

  if (ids.size() < 3) return;
  // Trigrams by hash: equal hashes are taken as equal trigrams (64 bits).
  scratch_.clear();
  for (size_t i = 0; i + 2 < ids.size(); ++i) {
    const uint64_t h = TrigramCounter::Hash({ids[i], ids[i + 1], ids[i + 2]});
    top_trigrams_.Prefetch(h);
    scratch_.emplace_back(h, static_cast<uint32_t>(i));
  }
  trigrams_ += scratch_.size();
  std::sort(scratch_.begin(), scratch_.end());
  uint64_t repeated = 0;
  for (size_t i = 0; i < scratch_.size(); ++i) {
    if (i > 0 && scratch_[i].first == scratch_[i - 1].first) {
      ++repeated;
    } else {
      const uint32_t at = scratch_[i].second;
      top_trigrams_.Add({ids[at], ids[at + 1], ids[at + 2]}, scratch_[i].first);
    }
  }
  repeated_ += repeated;
  rows_with_repeat_ += repeated > 0;
}

void SourceAccumulator::Merge(const SourceAccumulator& o, const std::vector<uint32_t>& remap) {
  rows_ += o.rows_;
  empty_ += o.empty_;
  words_.Merge(o.words_);
  tokens_.Merge(o.tokens_);
  for (size_t id = 0; id < o.counts_.size(); ++id) {
    if (o.counts_[id] == 0) continue;
    const uint32_t to = remap[id];
    if (to >= counts_.size()) counts_.resize(std::max<size_t>(to + 1, counts_.size() * 3 / 2), 0);
    counts_[to] += o.counts_[id];
  }
  proper_ += o.proper_;
  numbers_ += o.numbers_;
  rows_with_proper_ += o.rows_with_proper_;
  rows_with_number_ += o.rows_with_number_;
  trigrams_ += o.trigrams_;
  repeated_ += o.repeated_;
  rows_with_repeat_ += o.rows_with_repeat_;
  top_trigrams_.Merge(o.top_trigrams_, remap);
}

void SummariseLengths(const CountHistogram& h, LengthSummary* out) {
  out->count = h.count();
  out->mean = h.mean();
  out->min = h.min();
  out->p50 = h.Percentile(50);
  out->p90 = h.Percentile(90);
  out->p99 = h.Percentile(99);
  out->max = h.max();
  out->bins.clear();
  for (const Bin& b : LengthBins(h, 40)) out->bins.push_back(StatsBin{b.lo, b.hi, b.count});
}

SourceSummary SourceAccumulator::Summary(const WordVocabulary& vocab, const std::vector<bool>& stopword,
                                         size_t top_words, size_t top_trigrams) const {
  SourceSummary s;
  s.role = role_;
  s.field = field_;
  s.rows = rows_;
  s.empty = empty_;
  SummariseLengths(words_, &s.words);
  SummariseLengths(tokens_, &s.tokens);
  s.word_count = words_.sum();
  std::vector<uint32_t> content;
  for (size_t id = 0; id < counts_.size(); ++id) {
    if (counts_[id] == 0) continue;
    ++s.vocabulary;
    if (!stopword[id]) content.push_back(static_cast<uint32_t>(id));
  }
  s.type_token_ratio = s.word_count ? static_cast<double>(s.vocabulary) / s.word_count : 0;
  s.proper_words = proper_;
  s.number_words = numbers_;
  s.proper_share = s.word_count ? static_cast<double>(proper_) / s.word_count : 0;
  s.number_share = s.word_count ? static_cast<double>(numbers_) / s.word_count : 0;
  s.rows_with_proper = rows_with_proper_;
  s.rows_with_number = rows_with_number_;

  auto by_count = [&](uint32_t a, uint32_t b) { return counts_[a] != counts_[b] ? counts_[a] > counts_[b] : a < b; };
  const size_t n = std::min(top_words, content.size());
  std::partial_sort(content.begin(), content.begin() + n, content.end(), by_count);
  for (size_t i = 0; i < n; ++i) s.top_words.push_back(TermCount{std::string(vocab.Text(content[i])), counts_[content[i]]});

  s.trigrams = trigrams_;
  s.repeated_trigrams = repeated_;
  s.repeated_trigram_share = trigrams_ ? static_cast<double>(repeated_) / trigrams_ : 0;
  s.rows_with_repeat = rows_with_repeat_;
  for (const auto& e : top_trigrams_.Top(top_trigrams)) {
    std::string text;
    for (uint32_t id : e.words) {
      if (!text.empty()) text.push_back(' ');
      text.append(vocab.Text(id));
    }
    s.top_trigrams.push_back(TermCount{std::move(text), e.count});
  }
  s.trigram_error = top_trigrams_.error_bound();
  return s;
}

}  // namespace capsfusion::report
