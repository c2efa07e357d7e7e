// SourceAccumulator: the running statistics of one caption source (raw,
// synthetic, fused or a reference): lengths, word counts per vocabulary id,
// proper words and numbers, trigram repetition. Internal to src/report.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "report/caption_words.h"
#include "report/histograms.h"
#include "report/trigram_counter.h"
#include "report/word_vocabulary.h"

namespace capsfusion::report {

class SourceAccumulator {
 public:
  SourceAccumulator(std::string role, std::string field, size_t trigram_capacity);

  //! What a word occurrence is, for the name and number shares.
  enum Kind : uint8_t { kOther = 0, kProper = 1, kNumber = 2 };

  //! Adds one caption: its words, their vocabulary ids and kinds (same
  //! order), and its approximate token count.
  void Add(const std::vector<CaptionWord>& words, const std::vector<uint32_t>& ids,
           const std::vector<uint8_t>& kinds, uint64_t tokens);

  //! Adds everything `other` counted; its word id i is remap[i] here.
  void Merge(const SourceAccumulator& other, const std::vector<uint32_t>& remap);

  //! Occurrences per vocabulary id (shorter than the vocabulary when the
  //! last ids never occurred in this source).
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t word_count() const { return words_.sum(); }
  const std::string& role() const { return role_; }
  const std::string& field() const { return field_; }

  //! The summary; `stopword[id]` marks stopwords (sized like the vocabulary).
  SourceSummary Summary(const WordVocabulary& vocab, const std::vector<bool>& stopword, size_t top_words,
                        size_t top_trigrams) const;

 private:
  std::string role_, field_;
  uint64_t rows_ = 0, empty_ = 0;
  CountHistogram words_, tokens_;
  std::vector<uint64_t> counts_;
  uint64_t proper_ = 0, numbers_ = 0, rows_with_proper_ = 0, rows_with_number_ = 0;
  uint64_t trigrams_ = 0, repeated_ = 0, rows_with_repeat_ = 0;
  TrigramCounter top_trigrams_;
  std::vector<std::pair<uint64_t, uint32_t>> scratch_;  // trigram hash, position
};

//! Fills `*out` from a histogram: count, mean, percentiles and chart bins.
void SummariseLengths(const CountHistogram& h, LengthSummary* out);

}  // namespace capsfusion::report
