// StatsReportText: the terminal summary of the stats report.
#include <cstdarg>
#include <cstdio>
#include <string>

#include "capsfusion/caption_stats.h"

namespace capsfusion {

namespace {

void Appendf(std::string* out, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void Appendf(std::string* out, const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) out->append(buf, std::min<size_t>(static_cast<size_t>(n), sizeof buf - 1));
}

std::string Label(const SourceSummary& s) { return s.role == "reference" ? "ref:" + s.field : s.role; }

// One table row: a label and one cell per source.
template <typename F>
void Row(std::string* out, const char* label, const std::vector<SourceSummary>& sources, F cell) {
  Appendf(out, "  %-24s", label);
  for (const auto& s : sources) Appendf(out, " %14s", cell(s).c_str());
  out->push_back('\n');
}

std::string Num(double v, const char* fmt = "%.2f") {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}
std::string Int(uint64_t v) { return std::to_string(v); }
std::string Pct(double v) { return Num(100 * v, "%.1f%%"); }

// A word list cut to `width` columns.
std::string Terms(const std::vector<TermCount>& terms, size_t width, size_t max_terms) {
  std::string line;
  for (size_t i = 0; i < terms.size() && i < max_terms; ++i) {
    std::string item = terms[i].text + " (" + std::to_string(terms[i].count) + ")";
    if (!line.empty() && line.size() + 2 + item.size() > width) break;
    if (!line.empty()) line += ", ";
    line += item;
  }
  return line;
}

}  // namespace

std::string StatsReportText(const StatsReport& r) {
  std::string out;
  Appendf(&out, "%llu rows", static_cast<unsigned long long>(r.rows));
  if (r.rejected) Appendf(&out, " (%llu rejected)", static_cast<unsigned long long>(r.rejected));
  Appendf(&out, ", %llu distinct words, %.2f s\n\n", static_cast<unsigned long long>(r.vocabulary), r.seconds);
  if (!r.sources.empty()) {
    const auto& s = r.sources;
    Appendf(&out, "  %-24s", "source");
    for (const auto& x : s) Appendf(&out, " %14s", Label(x).substr(0, 14).c_str());
    out.push_back('\n');
    Row(&out, "field", s, [](const SourceSummary& x) { return x.field.substr(0, 14); });
    Row(&out, "rows", s, [](const SourceSummary& x) { return Int(x.rows); });
    Row(&out, "empty", s, [](const SourceSummary& x) { return Int(x.empty); });
    Row(&out, "words mean", s, [](const SourceSummary& x) { return Num(x.words.mean, "%.1f"); });
    Row(&out, "words p50 / p90", s, [](const SourceSummary& x) { return Int(x.words.p50) + " / " + Int(x.words.p90); });
    Row(&out, "words max", s, [](const SourceSummary& x) { return Int(x.words.max); });
    Row(&out, "tokens mean", s, [](const SourceSummary& x) { return Num(x.tokens.mean, "%.1f"); });
    Row(&out, "tokens p50 / p90", s, [](const SourceSummary& x) { return Int(x.tokens.p50) + " / " + Int(x.tokens.p90); });
    Row(&out, "vocabulary", s, [](const SourceSummary& x) { return Int(x.vocabulary); });
    Row(&out, "type-token ratio", s, [](const SourceSummary& x) { return Num(x.type_token_ratio, "%.4f"); });
    Row(&out, "proper words", s, [](const SourceSummary& x) { return Pct(x.proper_share); });
    Row(&out, "number words", s, [](const SourceSummary& x) { return Pct(x.number_share); });
    Row(&out, "rows with a name", s, [](const SourceSummary& x) { return Pct(x.rows ? double(x.rows_with_proper) / x.rows : 0); });
    Row(&out, "rows with a number", s, [](const SourceSummary& x) { return Pct(x.rows ? double(x.rows_with_number) / x.rows : 0); });
    Row(&out, "repeated trigrams", s, [](const SourceSummary& x) { return Pct(x.repeated_trigram_share); });
    Row(&out, "rows repeating a trigram", s, [](const SourceSummary& x) { return Int(x.rows_with_repeat); });
    out.push_back('\n');
    for (const auto& x : s) {
      Appendf(&out, "  %s top words: %s\n", Label(x).c_str(), Terms(x.top_words, 90, 12).c_str());
      Appendf(&out, "  %s top trigrams%s: %s\n", Label(x).c_str(), x.trigram_error ? " (approx.)" : "",
              Terms(x.top_trigrams, 90, 6).c_str());
    }
  }
  if (!r.overlaps.empty()) {
    Appendf(&out, "\nvocabulary overlap (share of FROM's words that TO also uses)\n");
    Appendf(&out, "  %-26s %12s %10s %12s\n", "from -> to", "FROM vocab", "distinct", "occurrences");
    for (const auto& o : r.overlaps) {
      Appendf(&out, "  %-26s %12llu %10s %12s\n", (o.from + " -> " + o.to).substr(0, 26).c_str(),
              static_cast<unsigned long long>(o.from_vocabulary), Pct(o.vocabulary_share).c_str(),
              Pct(o.occurrence_share).c_str());
    }
  }
  if (r.origin.words > 0) {
    const OriginSummary& o = r.origin;
    const double n = static_cast<double>(o.words);
    Appendf(&out, "\nfused content words by origin (same row): raw only %s, synthetic only %s, both %s, neither %s\n",
            Pct(o.from_raw / n).c_str(), Pct(o.from_synthetic / n).c_str(), Pct(o.from_both / n).c_str(),
            Pct(o.from_neither / n).c_str());
  }
  if (r.retention.measured) {
    const RetentionSummary& t = r.retention;
    Appendf(&out,
            "per-row retention (fusion metrics, %llu rows): raw %.3f, proper %.3f, numbers %.3f, synthetic %.3f, "
            "novel %.3f; prompt leaks %llu, concatenations %llu, empty %llu\n",
            static_cast<unsigned long long>(t.rows), t.raw, t.proper, t.number, t.synthetic, t.novel,
            static_cast<unsigned long long>(t.prompt_leaks), static_cast<unsigned long long>(t.concatenations),
            static_cast<unsigned long long>(t.empty));
  }
  if (r.qc.rows_with_field > 0) {
    const QcSummary& q = r.qc;
    Appendf(&out, "\nQC (%s): %llu rows, %llu passed, %llu flagged", q.field.c_str(),
            static_cast<unsigned long long>(q.rows_with_field), static_cast<unsigned long long>(q.passed),
            static_cast<unsigned long long>(q.flagged));
    if (q.malformed) Appendf(&out, ", %llu malformed", static_cast<unsigned long long>(q.malformed));
    out.push_back('\n');
    for (size_t i = 0; i < q.reasons.size() && i < 20; ++i) {
      Appendf(&out, "  %-40s %10llu\n", q.reasons[i].text.substr(0, 40).c_str(),
              static_cast<unsigned long long>(q.reasons[i].count));
    }
  }
  if (!r.metrics.empty()) {
    Appendf(&out, "\nmetrics\n  %-28s %10s %10s %10s %10s\n", "field", "rows", "mean", "min", "max");
    for (const auto& m : r.metrics) {
      Appendf(&out, "  %-28s %10llu %10.4f %10.4f %10.4f\n", m.name.substr(0, 28).c_str(),
              static_cast<unsigned long long>(m.count), m.mean, m.min, m.max);
    }
  }
  return out;
}

}  // namespace capsfusion
