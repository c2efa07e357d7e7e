// Fusion metrics: how much of each source a fused caption keeps, what it adds,
// and its typical failures (echoing the instruction, plain concatenation).
// docs/metrics.md defines every number precisely. All functions are
// deterministic, never fail, and take any bytes (UTF-8 expected).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

namespace capsfusion {

//! hits out of total; undefined (and value() 0) when total is 0.
struct Share {
  uint32_t hits = 0;
  uint32_t total = 0;
  bool defined() const { return total > 0; }
  double value() const { return total ? static_cast<double>(hits) / total : 0.0; }
};

//! Metrics of one (raw, synthetic, fused) triplet.
struct FusionItemMetrics {
  Share raw_retention;        //!< distinct raw content words found in the fused caption
  Share proper_retention;     //!< distinct raw proper words (names) found in the fused caption
  Share number_retention;     //!< distinct raw words with a digit found in the fused caption
  Share synthetic_retention;  //!< distinct synthetic content words found in the fused caption
  Share novel;                //!< distinct fused content words found in neither source
  uint32_t fused_words = 0;   //!< whitespace-separated words of the fused caption
  bool empty = false;         //!< the fused caption has no word
  bool prompt_leak = false;   //!< echoes an instruction phrase that neither source has
  bool concatenation = false; //!< essentially raw + synthetic or synthetic + raw
};

//! Measures one triplet.
FusionItemMetrics MeasureFusion(std::string_view raw, std::string_view synthetic,
                                std::string_view fused);

//! Whether the text contains a phrase of the fusion instruction ("Sentence 1",
//! "real-world knowledge", "sentence structure", "well-structured", ...;
//! case, hyphens and punctuation ignored). The list is in docs/metrics.md.
bool IsPromptLeak(std::string_view text);

//! Whether `fused` is essentially `raw` followed by `synthetic` or the reverse:
//! its words can be cut in two parts that hold, in order, at least 90% of the
//! words of one source and of the other, and at most 10% of its words are
//! in neither part. Both sources need at least one word.
bool IsConcatenation(std::string_view raw, std::string_view synthetic, std::string_view fused);

//! Corpus summary of many items.
struct FusionCorpusSummary {
  size_t items = 0;
  // Means of the per-item values over the items where each is defined, and
  // how many items that is.
  double raw_retention = 0;
  size_t raw_retention_items = 0;
  double proper_retention = 0;
  size_t proper_retention_items = 0;
  double number_retention = 0;
  size_t number_retention_items = 0;
  double synthetic_retention = 0;
  size_t synthetic_retention_items = 0;
  double novel_rate = 0;
  size_t novel_rate_items = 0;
  // Counts and their shares of all items.
  size_t prompt_leaks = 0;
  double prompt_leak_rate = 0;
  size_t concatenations = 0;
  double concatenation_rate = 0;
  size_t empty = 0;
  double empty_rate = 0;
  // Fused caption length in whitespace-separated words (nearest-rank percentiles).
  double words_mean = 0;
  uint32_t words_p50 = 0;
  uint32_t words_p90 = 0;
};

//! Accumulates item metrics; Summary() can be called at any time.
class FusionCorpusMetrics {
 public:
  void Add(const FusionItemMetrics& item);
  //! Adds everything another aggregator holds (sums add in call order).
  void Merge(const FusionCorpusMetrics& other);
  FusionCorpusSummary Summary() const;
  size_t items() const { return items_; }

 private:
  struct Mean {
    double sum = 0;
    size_t count = 0;
  };
  static constexpr uint32_t kHistogramSize = 4096;
  static void AddShare(const Share& s, Mean* m);
  void AddLength(uint32_t words, uint64_t count);
  size_t items_ = 0;
  Mean raw_, proper_, number_, synthetic_, novel_;
  size_t leaks_ = 0, concatenations_ = 0, empty_ = 0;
  uint64_t words_sum_ = 0;
  std::vector<uint64_t> length_histogram_;       // items per fused word count
  std::map<uint32_t, uint64_t> long_lengths_;    // the same from kHistogramSize words on
};

}  // namespace capsfusion
