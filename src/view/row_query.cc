#include "view/row_query.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "capsfusion/fusion_metrics.h"
#include "report/qc_reasons.h"

namespace capsfusion::view {

namespace {

constexpr size_t kMaxParamBytes = 512;

void AsciiLower(std::string_view in, std::string* out) {
  out->assign(in.begin(), in.end());
  for (char& c : *out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty() || s.size() > 64) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

const std::string kEmpty;

}  // namespace

const std::vector<std::string>& ComputedMetricNames() {
  static const std::vector<std::string> names = {
      "fusion:raw_retention", "fusion:proper_retention", "fusion:number_retention",
      "fusion:synthetic_retention", "fusion:novel_rate", "fusion:fused_words"};
  return names;
}

StatusOr<RowQuery> ParseRowQuery(const std::multimap<std::string, std::string>& params) {
  RowQuery q;
  bool have_min = false, have_max = false;
  for (const auto& [key, value] : params) {
    if (value.size() > kMaxParamBytes) return Status::InvalidArgument("parameter " + key + " is too long");
    if (key == "q") {
      AsciiLower(value, &q.text);
    } else if (key == "in") {
      if (value == "all" || value.empty()) {
        q.scope = RowQuery::Scope::kAll;
      } else if (value == "raw") {
        q.scope = RowQuery::Scope::kRaw;
      } else if (value == "synthetic") {
        q.scope = RowQuery::Scope::kSynthetic;
      } else if (value == "fused") {
        q.scope = RowQuery::Scope::kFused;
      } else if (value == "references") {
        q.scope = RowQuery::Scope::kReferences;
      } else {
        return Status::InvalidArgument("in must be all, raw, synthetic, fused or references");
      }
    } else if (key == "qc") {
      q.qc = value;
    } else if (key == "metric") {
      q.metric = value;
    } else if (key == "min") {
      if (!value.empty() && !ParseDouble(value, &q.min)) return Status::InvalidArgument("min is not a number");
      have_min = !value.empty();
    } else if (key == "max") {
      if (!value.empty() && !ParseDouble(value, &q.max)) return Status::InvalidArgument("max is not a number");
      have_max = !value.empty();
    }
  }
  if ((have_min || have_max) && q.metric.empty()) return Status::InvalidArgument("min and max need a metric");
  if (q.min > q.max) return Status::InvalidArgument("min is above max");
  return q;
}

const std::string& FusedCaption(const Record& record) {
  return record.references.empty() ? kEmpty : record.references[0];
}

bool HasStringField(const Record& record, const std::string& field) {
  const Field* f = record.Find(field);
  return f != nullptr && !f->json.empty() && f->json[0] == '"';
}

bool FusionMetricValue(const FusionItemMetrics& m, const std::string& name, double* value) {
  if (name.rfind("fusion:", 0) != 0) return false;
  const std::string what = name.substr(7);
  if (what == "fused_words") {
    *value = m.fused_words;
    return true;
  }
  const Share* share = what == "raw_retention"         ? &m.raw_retention
                       : what == "proper_retention"    ? &m.proper_retention
                       : what == "number_retention"    ? &m.number_retention
                       : what == "synthetic_retention" ? &m.synthetic_retention
                       : what == "novel_rate"          ? &m.novel
                                                       : nullptr;
  if (share == nullptr || !share->defined()) return false;
  *value = share->value();
  return true;
}

bool MetricValue(const Record& record, const std::string& name, double* value) {
  if (name.rfind("fusion:", 0) == 0) {
    return FusionMetricValue(MeasureFusion(record.raw, record.synthetic, FusedCaption(record)), name, value);
  }
  const Field* f = record.Find(name);
  nlohmann::json v;
  if (f != nullptr) {
    v = nlohmann::json::parse(f->json, nullptr, false);
  } else {
    const size_t dot = name.find('.');
    if (dot == std::string::npos) return false;
    f = record.Find(std::string_view(name).substr(0, dot));
    if (f == nullptr || f->json.empty() || f->json[0] != '{') return false;
    auto obj = nlohmann::json::parse(f->json, nullptr, false);
    if (!obj.is_object()) return false;
    auto it = obj.find(name.substr(dot + 1));
    if (it == obj.end()) return false;
    v = *it;
  }
  if (!v.is_number()) return false;
  *value = v.get<double>();
  return std::isfinite(*value);
}

bool RowMatcher::Matches(const Record& record) {
  if (!query_.text.empty() && !TextMatches(record)) return false;
  if (!query_.qc.empty() && !QcMatches(record)) return false;
  if (!query_.metric.empty() && !MetricMatches(record)) return false;
  return true;
}

bool RowMatcher::TextMatches(const Record& record) {
  auto in = [&](const std::string& text) {
    AsciiLower(text, &lower_);
    return lower_.find(query_.text) != std::string::npos;
  };
  using Scope = RowQuery::Scope;
  const Scope s = query_.scope;
  if ((s == Scope::kAll || s == Scope::kRaw) && in(record.raw)) return true;
  if ((s == Scope::kAll || s == Scope::kSynthetic) && in(record.synthetic)) return true;
  if ((s == Scope::kAll || s == Scope::kFused) && in(FusedCaption(record))) return true;
  if (s == Scope::kAll || s == Scope::kReferences) {
    for (size_t i = 1; i < record.references.size(); ++i) {
      if (in(record.references[i])) return true;
    }
  }
  return false;
}

bool RowMatcher::QcMatches(const Record& record) {
  const Field* f = record.Find(fields_.qc);
  if (f == nullptr) return query_.qc == "*none";
  report::ParseQcReasons(f->json, &reasons_);
  if (query_.qc == "*any") return !reasons_.empty();
  if (query_.qc == "*none") return reasons_.empty();
  for (const auto& r : reasons_) {
    if (r == query_.qc) return true;
  }
  return false;
}

bool RowMatcher::MetricMatches(const Record& record) {
  if (query_.metric.rfind("fusion:", 0) == 0 &&
      !(HasStringField(record, fields_.raw) && HasStringField(record, fields_.synthetic) &&
        HasStringField(record, fields_.fused))) {
    return false;
  }
  double v;
  return MetricValue(record, query_.metric, &v) && v >= query_.min && v <= query_.max;
}

}  // namespace capsfusion::view
