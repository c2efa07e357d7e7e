// StatsShard: the per-caption statistics of some of the rows (words, tokens,
// vocabulary, names, numbers, trigrams, the fused words' origin), with a
// vocabulary of its own. The collector gives each shard every n-th batch of
// rows, runs the shards on threads, and merges them into one report with
// MergeInto. Internal to src/report.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "capsfusion/tokenizer.h"
#include "report/caption_batch.h"
#include "report/caption_words.h"
#include "report/source_accumulator.h"
#include "report/word_vocabulary.h"

namespace capsfusion::report {

//! Source slots: raw, synthetic, fused, then the references.
constexpr size_t kRawSource = 0, kSyntheticSource = 1, kFusedSource = 2, kFirstReferenceSource = 3;

//! Stopword and common-word flags per vocabulary id, looked up once.
class WordClasses {
 public:
  enum : uint8_t { kLooked = 1, kStop = 2, kCommon = 4 };
  uint8_t Of(const WordVocabulary& vocab, uint32_t id) {
    if (id >= classes_.size()) classes_.resize(std::max<size_t>(id + 1, classes_.size() * 3 / 2), 0);
    uint8_t& c = classes_[id];
    if (c == 0) {
      const std::string_view w = vocab.Text(id);
      c = kLooked | (IsStopword(w) ? kStop : 0) | (IsCommonWord(w) ? kCommon : 0);
    }
    return c;
  }

 private:
  std::vector<uint8_t> classes_;
};

class StatsShard {
 public:
  //! `sources`: (role, field) per source slot.
  StatsShard(const std::vector<std::pair<std::string, std::string>>& sources, size_t trigram_capacity);

  //! Adds every row of `batch`.
  void Process(const CaptionBatch& batch);

  const WordVocabulary& vocab() const { return vocab_; }
  const std::vector<SourceAccumulator>& sources() const { return sources_; }
  const OriginSummary& origin() const { return origin_; }

 private:
  void AddCaption(size_t s, std::string_view caption);
  void AddOrigin();

  WordVocabulary vocab_;
  WordClasses classes_;
  CaptionWordSplitter splitter_;
  std::unique_ptr<Tokenizer> tokenizer_;
  std::vector<SourceAccumulator> sources_;
  OriginSummary origin_;
  std::vector<uint32_t> ids_;
  std::vector<uint8_t> kinds_;
  std::vector<uint32_t> raw_ids_, synthetic_ids_;  // sorted, distinct
};

}  // namespace capsfusion::report
