// StatsCollector: routes each row's captions to their source accumulators and
// gathers what spans sources (vocabulary overlap, word origin, retention), the
// QC reasons and the per-row metrics.
#include <algorithm>
#include <cmath>
#include <map>

#include <nlohmann/json.hpp>

#include "capsfusion/caption_stats.h"
#include "capsfusion/tokenizer.h"
#include "report/caption_words.h"
#include "report/histograms.h"
#include "report/qc_reasons.h"
#include "report/retention_worker.h"
#include "report/source_accumulator.h"
#include "report/word_vocabulary.h"



namespace capsfusion {

namespace {

constexpr size_t kRaw = 0, kSynthetic = 1, kFused = 2, kFirstReference = 3;

// Decodes a JSON string value; false for any other JSON text.
bool DecodeJsonString(const std::string& json, std::string* out) {
  if (json.empty() || json[0] != '"') return false;
  auto v = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!v.is_string()) return false;
  *out = v.get<std::string>();
  return true;
}

bool IsJsonString(const Field* f) { return f != nullptr && !f->json.empty() && f->json[0] == '"'; }

}  // namespace

struct StatsCollector::Impl {
  StatsOptions options;
  report::WordVocabulary vocab;
  report::CaptionWordSplitter splitter;
  std::unique_ptr<Tokenizer> tokenizer = MakeApproximateTokenizer();
  std::vector<report::SourceAccumulator> sources;
  std::vector<bool> seen;       // per source: present in at least one row
  // Per word id: kLooked once classified, then kStop and kCommon as they apply.
  enum : uint8_t { kLooked = 1, kStop = 2, kCommon = 4 };
  std::vector<uint8_t> classes;
  std::vector<uint32_t> ids;    // scratch
  std::vector<uint8_t> kinds;   // scratch
  std::vector<uint32_t> raw_ids, synthetic_ids;  // sorted, distinct
  std::string text;             // scratch
  uint64_t rows = 0;
  OriginSummary origin;
  report::RetentionWorker retention;
  QcSummary qc;
  std::map<std::string, uint64_t> qc_reasons;
  std::vector<std::string> reasons;  // scratch
  std::vector<std::string> metric_names;
  std::vector<report::RangeHistogram> metric_values;
  std::vector<uint64_t> metric_invalid;
  std::map<std::string, size_t> metric_index;

  uint8_t Classes(uint32_t id) {
    if (id >= classes.size()) classes.resize(std::max<size_t>(id + 1, classes.size() * 3 / 2), 0);
    uint8_t& c = classes[id];
    if (c == 0) {
      const std::string_view w = vocab.Text(id);
      c = kLooked | (report::IsStopword(w) ? kStop : 0) | (report::IsCommonWord(w) ? kCommon : 0);
    }
    return c;
  }
  bool IsStop(uint32_t id) { return (Classes(id) & kStop) != 0; }

  // Splits and counts one caption of source `s`; leaves its ids in `ids`.
  void AddCaption(size_t s, const std::string& caption) {
    const auto& words = splitter.Split(caption);
    ids.resize(words.size());
    kinds.resize(words.size());
    const bool title_case = splitter.title_case();
    for (size_t i = 0; i < words.size(); ++i) {
      const report::CaptionWord& w = words[i];
      ids[i] = vocab.Intern(w.text, w.hash);
      uint8_t kind = report::SourceAccumulator::kOther;
      if (report::IsNumberWord(w)) {
        kind = report::SourceAccumulator::kNumber;
      } else if (w.capitalised) {
        const uint8_t c = Classes(ids[i]);
        if (report::IsProperWord(w, title_case, (c & kStop) != 0, (c & kCommon) != 0)) {
          kind = report::SourceAccumulator::kProper;
        }
      }
      kinds[i] = kind;
    }
    sources[s].Add(words, ids, kinds, tokenizer->CountTokens(caption, false));
    seen[s] = true;
  }

  static void SortedDistinct(const std::vector<uint32_t>& in, std::vector<uint32_t>* out) {
    out->assign(in.begin(), in.end());
    std::sort(out->begin(), out->end());
    out->erase(std::unique(out->begin(), out->end()), out->end());
  }

  void AddOrigin() {
    ++origin.rows;
    for (uint32_t id : ids) {
      if (IsStop(id)) continue;
      const bool r = std::binary_search(raw_ids.begin(), raw_ids.end(), id);
      const bool y = std::binary_search(synthetic_ids.begin(), synthetic_ids.end(), id);
      ++origin.words;
      if (r && y) {
        ++origin.from_both;
      } else if (r) {
        ++origin.from_raw;
      } else if (y) {
        ++origin.from_synthetic;
      } else {
        ++origin.from_neither;
      }
    }
  }

  void AddQc(const Field* f) {
    ++qc.rows_with_field;
    const bool ok = report::ParseQcReasons(f->json, &reasons);
    if (!ok) ++qc.malformed;
    if (reasons.empty()) {
      if (ok) ++qc.passed;
      return;
    }
    ++qc.flagged;
    for (const auto& r : reasons) ++qc_reasons[r];
  }

  // The slot of metric `name`, creating it when allowed; SIZE_MAX when not.
  size_t MetricSlot(const std::string& name, bool automatic) {
    auto it = metric_index.find(name);
    if (it != metric_index.end()) return it->second;
    if (automatic && metric_names.size() >= options.max_auto_metrics) return SIZE_MAX;
    metric_index[name] = metric_names.size();
    metric_names.push_back(name);
    metric_values.emplace_back();
    metric_invalid.push_back(0);
    return metric_names.size() - 1;
  }

  void AddMetricValue(size_t slot, const nlohmann::json& v) {
    if (slot == SIZE_MAX) return;
    if (v.is_number()) {
      const double d = v.get<double>();
      if (std::isfinite(d)) {
        metric_values[slot].Add(d);
        return;
      }
    }
    ++metric_invalid[slot];
  }

  // Fields never taken as automatic metrics. Caption fields hold strings and
  // are skipped as such; an object under a caption name (eval --per-item
  // writes {"capsfusion": {"bleu_1": ...}}) does hold metrics.
  bool IsNamedField(const std::string& name) const { return name == options.qc_field || name == options.id_field; }

  void AddMetrics(const Record& rec) {
    if (!options.metric_fields.empty()) {
      for (const std::string& name : options.metric_fields) {
        const size_t slot = MetricSlot(name, false);
        const Field* f = rec.Find(name);
        std::string_view path = name;
        if (f == nullptr) {
          // "object.member" reaches one level into an object field.
          const size_t dot = name.find('.');
          if (dot == std::string::npos) continue;
          f = rec.Find(path.substr(0, dot));
          if (f == nullptr || f->json.empty() || f->json[0] != '{') continue;
          auto obj = nlohmann::json::parse(f->json, nullptr, false);
          auto member = obj.find(name.substr(dot + 1));
          if (obj.is_object() && member != obj.end()) AddMetricValue(slot, *member);
          continue;
        }
        AddMetricValue(slot, nlohmann::json::parse(f->json, nullptr, false));
      }
      return;
    }
    for (const Field& f : rec.fields) {
      if (f.json.empty() || IsNamedField(f.name)) continue;
      const char c = f.json[0];
      if (c == '-' || (c >= '0' && c <= '9')) {
        AddMetricValue(MetricSlot(f.name, true), nlohmann::json::parse(f.json, nullptr, false));
      } else if (c == '{') {
        auto obj = nlohmann::json::parse(f.json, nullptr, false);
        if (!obj.is_object()) continue;
        for (auto it = obj.begin(); it != obj.end(); ++it) {
          if (it->is_number()) AddMetricValue(MetricSlot(f.name + "." + it.key(), true), *it);
        }
      }
    }
  }
};

StatsCollector::StatsCollector(StatsOptions options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = std::move(options);
  const size_t cap = m.options.trigram_capacity;
  m.sources.emplace_back("raw", m.options.raw_field, cap);
  m.sources.emplace_back("synthetic", m.options.synthetic_field, cap);
  m.sources.emplace_back("fused", m.options.fused_field, cap);
  for (const auto& r : m.options.reference_fields) m.sources.emplace_back("reference", r, cap);
  m.seen.assign(m.sources.size(), false);
  m.qc.field = m.options.qc_field;
}

StatsCollector::~StatsCollector() = default;

void StatsCollector::ConfigureReader(ReaderOptions* r) const {
  const StatsOptions& o = impl_->options;
  r->fields.raw = o.raw_field;
  r->fields.synthetic = o.synthetic_field;
  r->fields.references.clear();
  r->fields.references.push_back(o.fused_field);
  for (const auto& f : o.reference_fields) r->fields.references.push_back(f);
  r->require_raw = false;
  r->require_synthetic = false;
  r->require_references = false;
}

void StatsCollector::Add(const Record& rec) {
  Impl& m = *impl_;
  ++m.rows;
  const StatsOptions& o = m.options;
  // The reader fills references with fused + reference captions when it was
  // configured by ConfigureReader(); otherwise the fields are decoded here.
  const bool mapped = rec.references.size() == 1 + o.reference_fields.size();
  auto caption = [&](size_t s, const std::string& field, const std::string* normalised) -> const std::string* {
    const Field* f = rec.Find(field);
    if (!IsJsonString(f)) return nullptr;
    if (normalised != nullptr) return normalised;
    return DecodeJsonString(f->json, &m.text) ? &m.text : nullptr;
  };

  const std::string* raw = caption(kRaw, o.raw_field, &rec.raw);
  const std::string* syn = caption(kSynthetic, o.synthetic_field, &rec.synthetic);
  bool have_raw = false, have_syn = false;
  if (raw != nullptr) {
    m.AddCaption(kRaw, *raw);
    Impl::SortedDistinct(m.ids, &m.raw_ids);
    have_raw = true;
  }
  if (syn != nullptr) {
    m.AddCaption(kSynthetic, *syn);
    Impl::SortedDistinct(m.ids, &m.synthetic_ids);
    have_syn = true;
  }
  const std::string* fused = caption(kFused, o.fused_field, mapped ? &rec.references[0] : nullptr);
  if (fused != nullptr) {
    std::string fused_text = *fused;  // m.text is reused below
    m.AddCaption(kFused, fused_text);
    if (have_raw && have_syn) {
      m.AddOrigin();
      if (o.retention) m.retention.Add(*raw, *syn, fused_text);
    }
  }
  for (size_t i = 0; i < o.reference_fields.size(); ++i) {
    const std::string* ref = caption(kFirstReference + i, o.reference_fields[i], mapped ? &rec.references[1 + i] : nullptr);
    if (ref != nullptr) m.AddCaption(kFirstReference + i, *ref);
  }
  if (const Field* f = rec.Find(o.qc_field); f != nullptr && !o.qc_field.empty()) m.AddQc(f);
  m.AddMetrics(rec);
}

StatsReport StatsCollector::Report() const {
  Impl& m = *impl_;
  StatsReport r;
  r.rows = m.rows;
  r.vocabulary = m.vocab.size();
  std::vector<bool> stopword(m.vocab.size());
  for (size_t id = 0; id < stopword.size(); ++id) stopword[id] = m.IsStop(static_cast<uint32_t>(id));
  std::vector<size_t> present;
  for (size_t s = 0; s < m.sources.size(); ++s) {
    if (!m.seen[s]) continue;
    present.push_back(s);
    r.sources.push_back(m.sources[s].Summary(m.vocab, stopword, m.options.top_words, m.options.top_trigrams));
  }
  auto label = [&](size_t s) {
    return s >= kFirstReference ? "ref:" + m.sources[s].field() : m.sources[s].role();
  };
  auto overlap = [&](size_t a, size_t b) {
    OverlapSummary o;
    o.from = label(a);
    o.to = label(b);
    const auto& ca = m.sources[a].counts();
    const auto& cb = m.sources[b].counts();
    uint64_t occurrences = 0, shared_occurrences = 0;
    for (size_t id = 0; id < ca.size(); ++id) {
      if (ca[id] == 0) continue;
      ++o.from_vocabulary;
      occurrences += ca[id];
      if (id < cb.size() && cb[id] > 0) {
        ++o.shared;
        shared_occurrences += ca[id];
      }
    }
    o.vocabulary_share = o.from_vocabulary ? static_cast<double>(o.shared) / o.from_vocabulary : 0;
    o.occurrence_share = occurrences ? static_cast<double>(shared_occurrences) / occurrences : 0;
    return o;
  };
  // Every source against the fused one, then raw vs synthetic and each way.
  for (size_t a : present) {
    for (size_t b : present) {
      if (a == b) continue;
      const bool to_fused = b == kFused;
      const bool raw_syn = (a == kRaw && b == kSynthetic) || (a == kSynthetic && b == kRaw);
      const bool fused_to_ref = a == kFused && b >= kFirstReference;
      if (to_fused || raw_syn || fused_to_ref) r.overlaps.push_back(overlap(a, b));
    }
  }
  r.origin = m.origin;

  m.retention.Summarise(&r.retention);

  r.qc = m.qc;
  for (const auto& [reason, count] : m.qc_reasons) r.qc.reasons.push_back(TermCount{reason, count});
  std::stable_sort(r.qc.reasons.begin(), r.qc.reasons.end(),
                   [](const TermCount& a, const TermCount& b) { return a.count > b.count; });

  for (size_t i = 0; i < m.metric_names.size(); ++i) {
    MetricSummary s;
    s.name = m.metric_names[i];
    const auto& h = m.metric_values[i];
    s.count = h.count();
    s.invalid = m.metric_invalid[i];
    s.mean = h.mean();
    s.min = h.min();
    s.max = h.max();
    for (const auto& b : h.Bins()) s.bins.push_back(StatsBin{b.lo, b.hi, b.count});
    r.metrics.push_back(std::move(s));
  }
  return r;
}

}  // namespace capsfusion
