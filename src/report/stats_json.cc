// StatsReportJson: the stats report as JSON.
#include <nlohmann/json.hpp>

#include "capsfusion/caption_stats.h"

namespace capsfusion {

namespace {

using nlohmann::ordered_json;

ordered_json Bins(const std::vector<StatsBin>& bins) {
  ordered_json a = ordered_json::array();
  for (const auto& b : bins) a.push_back({{"lo", b.lo}, {"hi", b.hi}, {"count", b.count}});
  return a;
}

ordered_json Lengths(const LengthSummary& l) {
  return {{"mean", l.mean}, {"min", l.min}, {"p50", l.p50}, {"p90", l.p90},
          {"p99", l.p99},   {"max", l.max}, {"histogram", Bins(l.bins)}};
}

ordered_json Terms(const std::vector<TermCount>& terms) {
  ordered_json a = ordered_json::array();
  for (const auto& t : terms) a.push_back({{"text", t.text}, {"count", t.count}});
  return a;
}

}  // namespace

std::string StatsReportJson(const StatsReport& r, int indent) {
  ordered_json j;
  j["inputs"] = r.inputs;
  j["rows"] = r.rows;
  j["rejected"] = r.rejected;
  j["seconds"] = r.seconds;
  j["vocabulary"] = r.vocabulary;
  ordered_json sources = ordered_json::array();
  for (const SourceSummary& s : r.sources) {
    ordered_json o;
    o["role"] = s.role;
    o["field"] = s.field;
    o["rows"] = s.rows;
    o["empty"] = s.empty;
    o["words"] = Lengths(s.words);
    o["tokens"] = Lengths(s.tokens);
    o["word_count"] = s.word_count;
    o["vocabulary"] = s.vocabulary;
    o["type_token_ratio"] = s.type_token_ratio;
    o["proper_words"] = s.proper_words;
    o["proper_share"] = s.proper_share;
    o["rows_with_proper"] = s.rows_with_proper;
    o["number_words"] = s.number_words;
    o["number_share"] = s.number_share;
    o["rows_with_number"] = s.rows_with_number;
    o["top_words"] = Terms(s.top_words);
    o["trigrams"] = s.trigrams;
    o["repeated_trigrams"] = s.repeated_trigrams;
    o["repeated_trigram_share"] = s.repeated_trigram_share;
    o["rows_with_repeat"] = s.rows_with_repeat;
    o["top_trigrams"] = Terms(s.top_trigrams);
    o["top_trigrams_error"] = s.trigram_error;
    sources.push_back(std::move(o));
  }
  j["sources"] = std::move(sources);
  ordered_json overlaps = ordered_json::array();
  for (const OverlapSummary& o : r.overlaps) {
    overlaps.push_back({{"from", o.from},
                        {"to", o.to},
                        {"from_vocabulary", o.from_vocabulary},
                        {"shared", o.shared},
                        {"vocabulary_share", o.vocabulary_share},
                        {"occurrence_share", o.occurrence_share}});
  }
  j["overlaps"] = std::move(overlaps);
  if (r.origin.rows > 0) {
    const OriginSummary& o = r.origin;
    j["fused_word_origin"] = {{"rows", o.rows},           {"words", o.words},
                              {"from_raw", o.from_raw},   {"from_synthetic", o.from_synthetic},
                              {"from_both", o.from_both}, {"from_neither", o.from_neither}};
  }
  if (r.retention.measured) {
    const RetentionSummary& t = r.retention;
    j["retention"] = {{"rows", t.rows},
                      {"raw_retention", t.raw},
                      {"raw_retention_rows", t.raw_rows},
                      {"raw_proper_retention", t.proper},
                      {"raw_proper_retention_rows", t.proper_rows},
                      {"raw_number_retention", t.number},
                      {"raw_number_retention_rows", t.number_rows},
                      {"synthetic_retention", t.synthetic},
                      {"synthetic_retention_rows", t.synthetic_rows},
                      {"novel_word_rate", t.novel},
                      {"novel_word_rate_rows", t.novel_rows},
                      {"prompt_leaks", t.prompt_leaks},
                      {"concatenations", t.concatenations},
                      {"empty", t.empty},
                      {"raw_retention_histogram", Bins(t.raw_bins)},
                      {"synthetic_retention_histogram", Bins(t.synthetic_bins)}};
  }
  if (r.qc.rows_with_field > 0) {
    j["qc"] = {{"field", r.qc.field},     {"rows", r.qc.rows_with_field}, {"passed", r.qc.passed},
               {"flagged", r.qc.flagged}, {"malformed", r.qc.malformed},  {"reasons", Terms(r.qc.reasons)}};
  }
  ordered_json metrics = ordered_json::array();
  for (const MetricSummary& m : r.metrics) {
    metrics.push_back({{"name", m.name},
                       {"count", m.count},
                       {"invalid", m.invalid},
                       {"mean", m.mean},
                       {"min", m.min},
                       {"max", m.max},
                       {"histogram", Bins(m.bins)}});
  }
  j["metrics"] = std::move(metrics);
  // Captions are untrusted: replace invalid UTF-8 rather than throw.
  return j.dump(indent, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace capsfusion
