#include "view/row_json.h"

#include <algorithm>

#include "report/caption_words.h"
#include "report/qc_reasons.h"

namespace capsfusion::view {

namespace {

using nlohmann::ordered_json;

struct WordSet {
  std::vector<std::pair<uint64_t, std::string>> items;
  void Fill(const std::vector<report::CaptionWord>& words) {
    items.clear();
    for (const auto& w : words) items.emplace_back(w.hash, std::string(w.text));
    std::sort(items.begin(), items.end());
  }
  bool Has(const report::CaptionWord& w) const {
    return std::binary_search(items.begin(), items.end(), std::make_pair(w.hash, std::string(w.text)));
  }
};

// Segments of `text`: words with the class `classify` gives, text between them with "".
template <typename F>
ordered_json Segments(const std::string& text, const std::vector<report::CaptionWord>& words, F classify) {
  ordered_json out = ordered_json::array();
  size_t at = 0;
  for (const auto& w : words) {
    if (w.begin > at) out.push_back({text.substr(at, w.begin - at), ""});
    out.push_back({text.substr(w.begin, w.end - w.begin), classify(w)});
    at = w.end;
  }
  if (at < text.size()) out.push_back({text.substr(at), ""});
  return out;
}

}  // namespace

ordered_json RowJson(const Record& rec, const ViewFields& fields, const std::vector<std::string>& metric_names,
                     bool detail) {
  ordered_json j;
  j["index"] = rec.index;
  j["id"] = rec.id;
  j["origin"] = rec.origin;
  const bool has_raw = HasStringField(rec, fields.raw);
  const bool has_syn = HasStringField(rec, fields.synthetic);
  const bool has_fused = HasStringField(rec, fields.fused);
  const std::string& fused = FusedCaption(rec);
  j["raw"] = has_raw ? ordered_json(rec.raw) : ordered_json();
  j["synthetic"] = has_syn ? ordered_json(rec.synthetic) : ordered_json();
  j["fused"] = has_fused ? ordered_json(fused) : ordered_json();
  ordered_json refs = ordered_json::array();
  for (size_t i = 0; i < fields.references.size() && i + 1 < rec.references.size(); ++i) {
    if (HasStringField(rec, fields.references[i])) {
      refs.push_back({{"field", fields.references[i]}, {"text", rec.references[i + 1]}});
    }
  }
  j["references"] = std::move(refs);

  report::CaptionWordSplitter raw_split, syn_split, fused_split;
  const auto& raw_words = raw_split.Split(has_raw ? rec.raw : std::string());
  const auto& syn_words = syn_split.Split(has_syn ? rec.synthetic : std::string());
  const auto& fused_words = fused_split.Split(has_fused ? fused : std::string());
  WordSet raw_set, syn_set, fused_set;
  raw_set.Fill(raw_words);
  syn_set.Fill(syn_words);
  fused_set.Fill(fused_words);
  ordered_json seg;
  auto kept = [&](const report::CaptionWord& w) { return fused_set.Has(w) ? "kept" : "dropped"; };
  seg["raw"] = has_raw ? Segments(rec.raw, raw_words, kept) : ordered_json::array();
  seg["synthetic"] = has_syn ? Segments(rec.synthetic, syn_words, kept) : ordered_json::array();
  seg["fused"] = has_fused ? Segments(fused, fused_words,
                                      [&](const report::CaptionWord& w) {
                                        const bool r = raw_set.Has(w), s = syn_set.Has(w);
                                        return r && s ? "both" : r ? "raw" : s ? "synthetic" : "neither";
                                      })
                           : ordered_json::array();
  j["segments"] = std::move(seg);

  if (const Field* f = rec.Find(fields.qc)) {
    std::vector<std::string> reasons;
    report::ParseQcReasons(f->json, &reasons);
    j["qc"] = reasons;
  } else {
    j["qc"] = nullptr;
  }
  ordered_json metrics = ordered_json::object();
  const bool measure = has_raw && has_syn && has_fused;
  const FusionItemMetrics fusion = measure ? MeasureFusion(rec.raw, rec.synthetic, fused) : FusionItemMetrics{};
  for (const auto& name : metric_names) {
    double v;
    const bool computed = name.rfind("fusion:", 0) == 0;
    if (computed ? measure && FusionMetricValue(fusion, name, &v) : MetricValue(rec, name, &v)) metrics[name] = v;
  }
  j["metrics"] = std::move(metrics);
  if (detail) {
    ordered_json all = ordered_json::array();
    for (const Field& f : rec.fields) all.push_back({{"name", f.name}, {"json", f.json}});
    j["fields"] = std::move(all);
  }
  return j;
}

std::string SafeJsonText(const ordered_json& value) {
  const std::string text = value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '<': out += "\\u003c"; break;
      case '>': out += "\\u003e"; break;
      case '&': out += "\\u0026"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace capsfusion::view
