#include "report/stats_shard.h"

#include <algorithm>

namespace capsfusion::report {

namespace {

void SortedDistinct(const std::vector<uint32_t>& in, std::vector<uint32_t>* out) {
  out->assign(in.begin(), in.end());
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
}

}  // namespace

StatsShard::StatsShard(const std::vector<std::pair<std::string, std::string>>& sources, size_t trigram_capacity)
    : tokenizer_(MakeApproximateTokenizer()) {
  for (const auto& [role, field] : sources) sources_.emplace_back(role, field, trigram_capacity);
}

void StatsShard::Process(const CaptionBatch& batch) {
  std::string_view raw, syn, fused, text;
  for (size_t r = 0; r < batch.rows(); ++r) {
    const bool have_raw = batch.Caption(r, kRawSource, &raw);
    const bool have_syn = batch.Caption(r, kSyntheticSource, &syn);
    if (have_raw) {
      AddCaption(kRawSource, raw);
      SortedDistinct(ids_, &raw_ids_);
    }
    if (have_syn) {
      AddCaption(kSyntheticSource, syn);
      SortedDistinct(ids_, &synthetic_ids_);
    }
    if (batch.Caption(r, kFusedSource, &fused)) {
      AddCaption(kFusedSource, fused);
      if (have_raw && have_syn) AddOrigin();
    }
    for (size_t s = kFirstReferenceSource; s < batch.sources(); ++s) {
      if (batch.Caption(r, s, &text)) AddCaption(s, text);
    }
  }
}

// Splits and counts one caption of source `s`; leaves its ids in ids_.
void StatsShard::AddCaption(size_t s, std::string_view caption) {
  const auto& words = splitter_.Split(caption);
  ids_.resize(words.size());
  kinds_.resize(words.size());
  const bool title_case = splitter_.title_case();
  for (size_t i = 0; i < words.size(); ++i) {
    const CaptionWord& w = words[i];
    ids_[i] = vocab_.Intern(w.text, w.hash);
    uint8_t kind = SourceAccumulator::kOther;
    if (IsNumberWord(w)) {
      kind = SourceAccumulator::kNumber;
    } else if (w.capitalised) {
      const uint8_t c = classes_.Of(vocab_, ids_[i]);
      if (IsProperWord(w, title_case, (c & WordClasses::kStop) != 0, (c & WordClasses::kCommon) != 0)) {
        kind = SourceAccumulator::kProper;
      }
    }
    kinds_[i] = kind;
  }
  sources_[s].Add(words, ids_, kinds_, tokenizer_->CountTokens(caption, false));
}

// The fused caption's content words (in ids_) by origin within the row.
void StatsShard::AddOrigin() {
  ++origin_.rows;
  for (uint32_t id : ids_) {
    if (classes_.Of(vocab_, id) & WordClasses::kStop) continue;
    const bool r = std::binary_search(raw_ids_.begin(), raw_ids_.end(), id);
    const bool y = std::binary_search(synthetic_ids_.begin(), synthetic_ids_.end(), id);
    ++origin_.words;
    if (r && y) {
      ++origin_.from_both;
    } else if (r) {
      ++origin_.from_raw;
    } else if (y) {
      ++origin_.from_synthetic;
    } else {
      ++origin_.from_neither;
    }
  }
}

}  // namespace capsfusion::report
