// StatsReportHtml: the stats report as one self-contained HTML page with
// inline SVG charts (no script, no external resource; opens offline).
#include <cstdio>

#include "capsfusion/caption_stats.h"
#include "report/html_escape.h"
#include "report/report_style.h"
#include "report/svg_charts.h"

namespace capsfusion {

namespace {

using report::BarItem;
using report::GroupedInt;
using report::HtmlEscape;
using report::Percent;
using report::RoleColor;

std::string Label(const SourceSummary& s) { return s.role == "reference" ? "ref:" + s.field : s.role; }

std::string Fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Swatch(const std::string& role) {
  return "<span class=\"swatch\" style=\"background:" + std::string(RoleColor(role)) + "\"></span>";
}

void Card(std::string* h, const std::string& value, const std::string& key) {
  *h += "<div class=\"card\"><div class=\"v\">" + HtmlEscape(value) + "</div><div class=\"k\">" + HtmlEscape(key) +
        "</div></div>";
}

void SourceTable(const StatsReport& r, std::string* h) {
  *h += "<section id=\"sources\"><h2>Caption sources</h2><table><thead><tr><th></th>";
  for (const auto& s : r.sources) {
    *h += "<th>" + Swatch(s.role) + HtmlEscape(s.role) + "<br><span class=\"muted\">" + HtmlEscape(s.field) +
          "</span></th>";
  }
  *h += "</tr></thead><tbody>";
  auto row = [&](const std::string& name, auto cell) {
    *h += "<tr><td>" + HtmlEscape(name) + "</td>";
    for (const auto& s : r.sources) *h += "<td>" + HtmlEscape(cell(s)) + "</td>";
    *h += "</tr>";
  };
  row("rows", [](const SourceSummary& s) { return GroupedInt(s.rows); });
  row("empty captions", [](const SourceSummary& s) { return GroupedInt(s.empty); });
  row("words per caption (mean)", [](const SourceSummary& s) { return Fixed(s.words.mean, 1); });
  row("words p50 / p90 / max", [](const SourceSummary& s) {
    return std::to_string(s.words.p50) + " / " + std::to_string(s.words.p90) + " / " + std::to_string(s.words.max);
  });
  row("tokens per caption (mean)", [](const SourceSummary& s) { return Fixed(s.tokens.mean, 1); });
  row("tokens p50 / p90 / max", [](const SourceSummary& s) {
    return std::to_string(s.tokens.p50) + " / " + std::to_string(s.tokens.p90) + " / " + std::to_string(s.tokens.max);
  });
  row("vocabulary (distinct words)", [](const SourceSummary& s) { return GroupedInt(s.vocabulary); });
  row("type-token ratio", [](const SourceSummary& s) { return Fixed(s.type_token_ratio, 4); });
  row("proper words (names)", [](const SourceSummary& s) { return Percent(s.proper_share); });
  row("number words", [](const SourceSummary& s) { return Percent(s.number_share); });
  row("captions with a name", [](const SourceSummary& s) {
    return Percent(s.rows ? static_cast<double>(s.rows_with_proper) / s.rows : 0);
  });
  row("captions with a number", [](const SourceSummary& s) {
    return Percent(s.rows ? static_cast<double>(s.rows_with_number) / s.rows : 0);
  });
  row("repeated trigrams (within a caption)", [](const SourceSummary& s) { return Percent(s.repeated_trigram_share); });
  row("captions repeating a trigram", [](const SourceSummary& s) { return GroupedInt(s.rows_with_repeat); });
  *h += "</tbody></table><p class=\"note\">Words follow the fusion metrics' word rules (docs/metrics.md); tokens "
        "are pieces of the approximate tokenizer (up to 4 ASCII letters, each digit and symbol alone).</p></section>";
}

void Lengths(const StatsReport& r, std::string* h) {
  *h += "<section id=\"lengths\"><h2>Caption length</h2><div class=\"grid2\">";
  for (const auto& s : r.sources) {
    *h += "<div><h3>" + Swatch(s.role) + HtmlEscape(Label(s)) + ": words per caption</h3>" +
          report::HistogramSvg(s.words.bins, RoleColor(s.role), "words", true) + "</div>";
  }
  for (const auto& s : r.sources) {
    *h += "<div><h3>" + Swatch(s.role) + HtmlEscape(Label(s)) + ": tokens per caption</h3>" +
          report::HistogramSvg(s.tokens.bins, RoleColor(s.role), "tokens", true) + "</div>";
  }
  *h += "</div></section>";
}

void Overlap(const StatsReport& r, std::string* h) {
  if (r.overlaps.empty() && r.origin.words == 0) return;
  *h += "<section id=\"overlap\"><h2>Vocabulary overlap</h2>";
  if (r.origin.words > 0) {
    const OriginSummary& o = r.origin;
    report::ShareRow row{"fused content words",
                         {{"from raw only", static_cast<double>(o.from_raw), RoleColor("raw")},
                          {"from both", static_cast<double>(o.from_both), RoleColor("both")},
                          {"from synthetic only", static_cast<double>(o.from_synthetic), RoleColor("synthetic")},
                          {"from neither", static_cast<double>(o.from_neither), RoleColor("neither")}}};
    *h += "<h3>Where each fused content word comes from, within its own row</h3>" + report::StackedSharesSvg({row});
  }
  if (!r.overlaps.empty()) {
    std::vector<BarItem> distinct, occurrences;
    for (const auto& o : r.overlaps) {
      const std::string role = o.from.rfind("ref:", 0) == 0 ? "reference" : o.from;
      distinct.push_back(BarItem{o.from + " → " + o.to, o.vocabulary_share, Percent(o.vocabulary_share), RoleColor(role)});
      occurrences.push_back(
          BarItem{o.from + " → " + o.to, o.occurrence_share, Percent(o.occurrence_share), RoleColor(role)});
    }
    *h += "<div class=\"grid2\"><div><h3>Distinct words of FROM that TO also uses (corpus-wide)</h3>" +
          report::HorizontalBarsSvg(distinct, "#64748b", 1.0) +
          "</div><div><h3>Word occurrences of FROM whose word TO also uses</h3>" +
          report::HorizontalBarsSvg(occurrences, "#64748b", 1.0) + "</div></div>";
    *h += "<table><thead><tr><th>from → to</th><th>FROM vocabulary</th><th>shared</th><th>distinct</th>"
          "<th>occurrences</th></tr></thead><tbody>";
    for (const auto& o : r.overlaps) {
      *h += "<tr><td>" + HtmlEscape(o.from + " → " + o.to) + "</td><td>" + GroupedInt(o.from_vocabulary) + "</td><td>" +
            GroupedInt(o.shared) + "</td><td>" + Percent(o.vocabulary_share) + "</td><td>" +
            Percent(o.occurrence_share) + "</td></tr>";
    }
    *h += "</tbody></table>";
  }
  *h += "</section>";
}

void Retention(const StatsReport& r, std::string* h) {
  if (!r.retention.measured) return;
  const RetentionSummary& t = r.retention;
  *h += "<section id=\"retention\"><h2>Per-row retention (fusion metrics)</h2><div class=\"cards\">";
  Card(h, Fixed(t.raw, 3), "raw content words kept (" + GroupedInt(t.raw_rows) + " rows)");
  Card(h, Fixed(t.proper, 3), "raw names kept (" + GroupedInt(t.proper_rows) + " rows)");
  Card(h, Fixed(t.number, 3), "raw numbers kept (" + GroupedInt(t.number_rows) + " rows)");
  Card(h, Fixed(t.synthetic, 3), "synthetic content words kept");
  Card(h, Fixed(t.novel, 3), "fused words in neither source");
  Card(h, GroupedInt(t.prompt_leaks) + " / " + GroupedInt(t.concatenations), "prompt leaks / concatenations");
  *h += "</div><div class=\"grid2\"><div><h3>" + Swatch("raw") + "raw retention per row</h3>" +
        report::HistogramSvg(t.raw_bins, RoleColor("raw"), "raw retention", false) + "</div><div><h3>" +
        Swatch("synthetic") + "synthetic retention per row</h3>" +
        report::HistogramSvg(t.synthetic_bins, RoleColor("synthetic"), "synthetic retention", false) +
        "</div></div></section>";
}

void Words(const StatsReport& r, std::string* h) {
  *h += "<section id=\"words\"><h2>Most frequent content words</h2><div class=\"grid2\">";
  for (const auto& s : r.sources) {
    std::vector<BarItem> bars;
    for (const auto& t : s.top_words) bars.push_back(BarItem{t.text, static_cast<double>(t.count), GroupedInt(t.count), ""});
    *h += "<div><h3>" + Swatch(s.role) + HtmlEscape(Label(s)) + "</h3>" +
          report::HorizontalBarsSvg(bars, RoleColor(s.role)) + "</div>";
  }
  *h += "</div></section>";
  *h += "<section id=\"trigrams\"><h2>Repetition</h2><p class=\"note\">Caption-level trigrams: the number of "
        "captions that hold each word trigram. A repeated trigram occurs twice or more in one caption.</p>"
        "<div class=\"grid2\">";
  for (const auto& s : r.sources) {
    std::vector<BarItem> bars;
    for (const auto& t : s.top_trigrams) bars.push_back(BarItem{t.text, static_cast<double>(t.count), GroupedInt(t.count), ""});
    *h += "<div><h3>" + Swatch(s.role) + HtmlEscape(Label(s)) + ": " + Percent(s.repeated_trigram_share) +
          " of trigrams repeated" + (s.trigram_error ? " (counts approximate, within " + GroupedInt(s.trigram_error) + ")" : "") +
          "</h3>" + report::HorizontalBarsSvg(bars, RoleColor(s.role)) + "</div>";
  }
  *h += "</div></section>";
}

void Qc(const StatsReport& r, std::string* h) {
  if (r.qc.rows_with_field == 0) return;
  const QcSummary& q = r.qc;
  *h += "<section id=\"qc\"><h2>QC reasons <span class=\"muted\">(" + HtmlEscape(q.field) + ")</span></h2>"
        "<div class=\"cards\">";
  Card(h, GroupedInt(q.rows_with_field), "rows with the field");
  Card(h, GroupedInt(q.passed), "passed (no reason)");
  Card(h, GroupedInt(q.flagged), "flagged");
  if (q.malformed) Card(h, GroupedInt(q.malformed), "malformed values");
  *h += "</div>";
  std::vector<BarItem> bars;
  for (size_t i = 0; i < q.reasons.size() && i < 30; ++i) {
    bars.push_back(BarItem{q.reasons[i].text, static_cast<double>(q.reasons[i].count), GroupedInt(q.reasons[i].count), ""});
  }
  if (!bars.empty()) *h += "<h3>Rows per reason</h3>" + report::HorizontalBarsSvg(bars, "#dc2626");
  *h += "</section>";
}

void Metrics(const StatsReport& r, std::string* h) {
  if (r.metrics.empty()) return;
  *h += "<section id=\"metrics\"><h2>Per-row metrics</h2><table><thead><tr><th>field</th><th>rows</th><th>mean</th>"
        "<th>min</th><th>max</th><th>not a number</th></tr></thead><tbody>";
  for (const auto& m : r.metrics) {
    *h += "<tr><td>" + HtmlEscape(m.name) + "</td><td>" + GroupedInt(m.count) + "</td><td>" + Fixed(m.mean, 4) +
          "</td><td>" + Fixed(m.min, 4) + "</td><td>" + Fixed(m.max, 4) + "</td><td>" + GroupedInt(m.invalid) +
          "</td></tr>";
  }
  *h += "</tbody></table><div class=\"grid2\">";
  for (const auto& m : r.metrics) {
    *h += "<div><h3>" + HtmlEscape(m.name) + "</h3>" + report::HistogramSvg(m.bins, "#0891b2", m.name, false) + "</div>";
  }
  *h += "</div></section>";
}

}  // namespace

std::string StatsReportHtml(const StatsReport& r, const std::string& title) {
  std::string h;
  h.reserve(1 << 16);
  h += "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
       "img-src data:\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
       HtmlEscape(title) + "</title><style>" + report::ReportCss() + "</style></head><body><header><h1>" +
       HtmlEscape(title) + "</h1><p>";
  std::string inputs;
  for (const auto& in : r.inputs) inputs += (inputs.empty() ? "" : ", ") + in;
  h += HtmlEscape(inputs) + "</p></header><main><div class=\"cards\">";
  Card(&h, GroupedInt(r.rows), "rows");
  if (r.rejected) Card(&h, GroupedInt(r.rejected), "rows rejected by the reader");
  Card(&h, GroupedInt(r.vocabulary), "distinct words, all sources");
  for (const auto& s : r.sources) Card(&h, Fixed(s.words.mean, 1), Label(s) + ": mean words");
  if (r.retention.measured) Card(&h, Fixed(r.retention.raw, 3), "raw retention in the fused caption");
  h += "</div>";
  if (!r.sources.empty()) {
    SourceTable(r, &h);
    Lengths(r, &h);
    Overlap(r, &h);
    Retention(r, &h);
    Words(r, &h);
  } else {
    h += "<section><h2>No captions</h2><p>None of the caption fields was found in the input.</p></section>";
  }
  Qc(r, &h);
  Metrics(r, &h);
  h += "</main></body></html>\n";
  return h;
}

}  // namespace capsfusion
