// StatsCollector: packs each row's captions into batches for the shards
// (report/stats_shard.h), which run on threads, measures retention on a worker
// of its own, counts QC reasons and per-row metrics itself, and merges it all
// into one report.
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
#include "report/batch_worker.h"
#include "report/caption_batch.h"
#include "report/source_accumulator.h"
#include "report/stats_shard.h"
#include "report/word_vocabulary.h"
#include <thread>



namespace capsfusion {

namespace {

using report::kFirstReferenceSource;
using report::kFusedSource;
using report::kRawSource;
using report::kSyntheticSource;

constexpr size_t kBatchRows = 1024;
constexpr size_t kBatchBytes = 1 << 20;

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
  std::vector<std::pair<std::string, std::string>> source_names;  // (role, field) per slot
  std::vector<bool> seen;  // per source: present in at least one row
  // Shard i takes batches i, i + n, i + 2n, ...: the split, and so the
  // report, depends only on the number of threads, never on timing.
  std::vector<std::unique_ptr<report::StatsShard>> shards;
  std::vector<std::unique_ptr<report::BatchWorker<report::CaptionBatch>>> workers;  // empty: shard 0 inline
  size_t next_shard = 0;
  report::CaptionBatch batch;
  std::vector<const std::string*> captions;  // scratch: one per source
  std::string decoded;                       // scratch
  std::vector<std::string> decoded_refs;     // scratch
  uint64_t rows = 0;
  report::RetentionWorker retention;
  QcSummary qc;
  std::map<std::string, uint64_t> qc_reasons;
  std::vector<std::string> reasons;  // scratch
  std::vector<std::string> metric_names;
  std::vector<report::RangeHistogram> metric_values;
  std::vector<uint64_t> metric_invalid;
  std::map<std::string, size_t> metric_index;

  ~Impl() { workers.clear(); }  // stop the threads before the shards go

  void Dispatch() {
    if (batch.rows() == 0) return;
    const size_t k = next_shard;
    next_shard = (next_shard + 1) % shards.size();
    if (workers.empty()) {
      shards[k]->Process(batch);
    } else {
      workers[k]->Push(std::move(batch));
    }
    batch = report::CaptionBatch(source_names.size());
  }

  void Drain() {
    Dispatch();
    for (auto& w : workers) w->Drain();
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
  m.source_names = {{"raw", m.options.raw_field}, {"synthetic", m.options.synthetic_field}, {"fused", m.options.fused_field}};
  for (const auto& r : m.options.reference_fields) m.source_names.emplace_back("reference", r);
  m.seen.assign(m.source_names.size(), false);
  m.captions.assign(m.source_names.size(), nullptr);
  m.decoded_refs.resize(m.source_names.size());
  m.batch = report::CaptionBatch(m.source_names.size());
  m.qc.field = m.options.qc_field;
  size_t threads = m.options.threads;
  if (threads == 0) threads = std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  for (size_t i = 0; i < threads; ++i) {
    m.shards.push_back(std::make_unique<report::StatsShard>(m.source_names, m.options.trigram_capacity));
  }
  if (threads > 1) {
    for (size_t i = 0; i < threads; ++i) {
      report::StatsShard* shard = m.shards[i].get();
      m.workers.push_back(std::make_unique<report::BatchWorker<report::CaptionBatch>>(
          [shard](report::CaptionBatch& b) { shard->Process(b); }));
    }
  }
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
  for (size_t s = 0; s < m.source_names.size(); ++s) {
    const Field* f = rec.Find(m.source_names[s].second);
    const std::string*& c = m.captions[s];
    c = nullptr;
    if (!IsJsonString(f)) continue;
    if (s == kRawSource) {
      c = &rec.raw;
    } else if (s == kSyntheticSource) {
      c = &rec.synthetic;
    } else if (mapped) {
      c = &rec.references[s - kFusedSource];
    } else if (DecodeJsonString(f->json, &m.decoded_refs[s])) {
      c = &m.decoded_refs[s];
    }
    if (c != nullptr) m.seen[s] = true;
  }
  m.batch.AddRow(m.captions.data());
  if (o.retention && m.captions[kRawSource] && m.captions[kSyntheticSource] && m.captions[kFusedSource]) {
    m.retention.Add(*m.captions[kRawSource], *m.captions[kSyntheticSource], *m.captions[kFusedSource]);
  }
  if (m.batch.rows() >= kBatchRows || m.batch.bytes() >= kBatchBytes) m.Dispatch();
  if (const Field* f = rec.Find(o.qc_field); f != nullptr && !o.qc_field.empty()) m.AddQc(f);
  m.AddMetrics(rec);
}

StatsReport StatsCollector::Report() const {
  Impl& m = *impl_;
  m.Drain();
  StatsReport r;
  r.rows = m.rows;
  // One vocabulary for all shards; each shard's ids map into it.
  report::WordVocabulary vocab;
  std::vector<std::vector<uint32_t>> remap(m.shards.size());
  for (size_t k = 0; k < m.shards.size(); ++k) {
    const report::WordVocabulary& v = m.shards[k]->vocab();
    remap[k].resize(v.size());
    for (uint32_t id = 0; id < v.size(); ++id) {
      const std::string_view w = v.Text(id);
      remap[k][id] = vocab.Intern(w, report::WordHash(w));
    }
  }
  r.vocabulary = vocab.size();
  std::vector<report::SourceAccumulator> sources;
  for (size_t s = 0; s < m.source_names.size(); ++s) {
    sources.emplace_back(m.source_names[s].first, m.source_names[s].second, m.options.trigram_capacity);
    for (size_t k = 0; k < m.shards.size(); ++k) sources[s].Merge(m.shards[k]->sources()[s], remap[k]);
  }
  for (const auto& shard : m.shards) {
    const OriginSummary& o = shard->origin();
    r.origin.rows += o.rows;
    r.origin.words += o.words;
    r.origin.from_raw += o.from_raw;
    r.origin.from_synthetic += o.from_synthetic;
    r.origin.from_both += o.from_both;
    r.origin.from_neither += o.from_neither;
  }
  std::vector<bool> stopword(vocab.size());
  for (size_t id = 0; id < stopword.size(); ++id) stopword[id] = report::IsStopword(vocab.Text(static_cast<uint32_t>(id)));
  std::vector<size_t> present;
  for (size_t s = 0; s < sources.size(); ++s) {
    if (!m.seen[s]) continue;
    present.push_back(s);
    r.sources.push_back(sources[s].Summary(vocab, stopword, m.options.top_words, m.options.top_trigrams));
  }
  auto label = [&](size_t s) {
    return s >= kFirstReferenceSource ? "ref:" + sources[s].field() : sources[s].role();
  };
  auto overlap = [&](size_t a, size_t b) {
    OverlapSummary o;
    o.from = label(a);
    o.to = label(b);
    const auto& ca = sources[a].counts();
    const auto& cb = sources[b].counts();
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
      const bool to_fused = b == kFusedSource;
      const bool raw_syn = (a == kRawSource && b == kSyntheticSource) || (a == kSyntheticSource && b == kRawSource);
      const bool fused_to_ref = a == kFusedSource && b >= kFirstReferenceSource;
      if (to_fused || raw_syn || fused_to_ref) r.overlaps.push_back(overlap(a, b));
    }
  }

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
