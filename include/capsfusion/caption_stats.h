// Caption statistics: what `capsfusion stats` measures over a dataset, per
// caption source (raw alt-text, synthetic caption, fused caption, reference
// captions): lengths, vocabulary, proper nouns and numbers, frequent words,
// n-gram repetition, how much vocabulary each source shares with the others,
// per-row retention (the fusion metrics of docs/metrics.md), QC reasons and
// per-row metric fields. docs/stats-and-view.md defines every number.
//
// StatsCollector streams: memory is bounded except for the vocabularies (one
// id per distinct word and thread, shared by all sources).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"

namespace capsfusion {

struct StatsOptions {
  std::string raw_field = "laion_2b";          //!< raw web caption
  std::string synthetic_field = "laion_coco";  //!< synthetic caption
  std::string fused_field = "capsfusion";      //!< fused caption
  std::vector<std::string> reference_fields;   //!< reference captions (each a source of its own)
  std::string qc_field = "qc_reasons";         //!< QC reasons: a JSON array of strings, a string, or null
  //! Per-row metric fields. Empty: every top-level numeric field and every
  //! number one level inside an object field ("eval.cider_d"), except the
  //! QC and id fields, up to max_auto_metrics names.
  std::vector<std::string> metric_fields;
  size_t max_auto_metrics = 32;
  std::string id_field;            //!< left out of the automatic metrics
  size_t top_words = 20;           //!< most frequent content words listed per source
  size_t top_trigrams = 15;        //!< most frequent caption-level trigrams listed per source
  size_t trigram_capacity = 1 << 15;  //!< trigrams counted exactly per source before summarising
  bool retention = true;           //!< per-row fusion metrics (raw, synthetic and fused present)
  //! Threads for the per-caption statistics (0: up to 4, by the machine).
  //! Every count is the same whatever the number; only the approximate
  //! trigram counts of very large corpora may differ slightly.
  size_t threads = 0;
};

//! One bar of a histogram: values in [lo, hi).
struct StatsBin {
  double lo = 0, hi = 0;
  uint64_t count = 0;
};

//! A distribution of integer lengths.
struct LengthSummary {
  uint64_t count = 0;
  double mean = 0;
  uint64_t min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
  std::vector<StatsBin> bins;  //!< for charts: min..p99, the last bar holds the tail
};

struct TermCount {
  std::string text;
  uint64_t count = 0;
};

//! Statistics of one caption source.
struct SourceSummary {
  std::string role;   //!< "raw", "synthetic", "fused" or "reference"
  std::string field;  //!< the input field
  uint64_t rows = 0;  //!< rows holding the field as a string
  uint64_t empty = 0; //!< of which have no word
  LengthSummary words;   //!< words per caption (docs/metrics.md word rules)
  LengthSummary tokens;  //!< approximate tokenizer pieces per caption
  uint64_t word_count = 0;      //!< words in all captions
  uint64_t vocabulary = 0;      //!< distinct words
  double type_token_ratio = 0;  //!< vocabulary / word_count
  uint64_t proper_words = 0;    //!< word occurrences that are proper words (names)
  uint64_t number_words = 0;    //!< word occurrences that are numbers
  double proper_share = 0, number_share = 0;  //!< of word_count
  uint64_t rows_with_proper = 0, rows_with_number = 0;
  std::vector<TermCount> top_words;  //!< content words (stopwords left out), by occurrences
  uint64_t trigrams = 0;             //!< word trigrams in all captions
  uint64_t repeated_trigrams = 0;    //!< trigrams that repeat an earlier one in the same caption
  double repeated_trigram_share = 0; //!< repeated_trigrams / trigrams
  uint64_t rows_with_repeat = 0;     //!< captions with at least one repeated trigram
  std::vector<TermCount> top_trigrams;  //!< by the number of captions holding them
  uint64_t trigram_error = 0;        //!< 0: exact counts; else counts may be this much low
};

//! How much of one source's vocabulary the other source uses.
struct OverlapSummary {
  std::string from, to;             //!< source roles ("raw", "fused", "ref:coco" for a reference field)
  uint64_t from_vocabulary = 0;     //!< distinct words of `from`
  uint64_t shared = 0;              //!< of which `to` also has somewhere in the corpus
  double vocabulary_share = 0;      //!< shared / from_vocabulary
  double occurrence_share = 0;      //!< share of `from`'s word occurrences whose word `to` has
};

//! Where the fused caption's content words come from, row by row.
struct OriginSummary {
  uint64_t rows = 0;  //!< rows with raw, synthetic and fused captions
  uint64_t words = 0, from_raw = 0, from_synthetic = 0, from_both = 0, from_neither = 0;
};

//! Means of the per-row fusion metrics (docs/metrics.md, section 2).
struct RetentionSummary {
  bool measured = false;
  uint64_t rows = 0;
  double raw = 0, proper = 0, number = 0, synthetic = 0, novel = 0;
  uint64_t raw_rows = 0, proper_rows = 0, number_rows = 0, synthetic_rows = 0, novel_rows = 0;
  uint64_t prompt_leaks = 0, concatenations = 0, empty = 0;
  std::vector<StatsBin> raw_bins, synthetic_bins;  //!< per-row retention in tenths
};

struct QcSummary {
  std::string field;
  uint64_t rows_with_field = 0;  //!< rows where the field is present
  uint64_t passed = 0;           //!< of which have no reason
  uint64_t flagged = 0;          //!< of which have at least one reason
  uint64_t malformed = 0;        //!< values that are not a string, an array of strings or null
  std::vector<TermCount> reasons;  //!< every reason, by count
};

struct MetricSummary {
  std::string name;
  uint64_t count = 0;    //!< rows with a finite number
  uint64_t invalid = 0;  //!< rows with the field but no finite number
  double mean = 0, min = 0, max = 0;
  std::vector<StatsBin> bins;
};

struct StatsReport {
  std::vector<std::string> inputs;
  uint64_t rows = 0;      //!< records read
  uint64_t rejected = 0;  //!< rows the reader rejected (set by the caller)
  double seconds = 0;     //!< wall time (set by the caller)
  std::vector<SourceSummary> sources;
  std::vector<OverlapSummary> overlaps;
  OriginSummary origin;
  RetentionSummary retention;
  QcSummary qc;
  std::vector<MetricSummary> metrics;
  uint64_t vocabulary = 0;  //!< distinct words over all sources
};

//! Accumulates statistics row by row.
class StatsCollector {
 public:
  explicit StatsCollector(StatsOptions options);
  ~StatsCollector();
  StatsCollector(const StatsCollector&) = delete;
  StatsCollector& operator=(const StatsCollector&) = delete;

  //! Sets the reader's field map so that records carry every source:
  //! fused and reference captions in Record::references; no caption required.
  void ConfigureReader(ReaderOptions* options) const;
  //! Adds one row.
  void Add(const Record& record);
  //! The statistics of the rows added so far.
  StatsReport Report() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! The report as JSON text (keys as in the structs above, snake_case).
std::string StatsReportJson(const StatsReport& report, int indent = 2);
//! A terminal summary, a few screens at most.
std::string StatsReportText(const StatsReport& report);
//! One self-contained HTML page (inline CSS and SVG charts, no scripts, no
//! network). `title` is shown as the heading.
std::string StatsReportHtml(const StatsReport& report, const std::string& title);

}  // namespace capsfusion
