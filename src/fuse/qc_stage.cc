#include "fuse/qc_stage.h"

namespace capsfusion {

void QcCounts::Add(const QcCounts& o) {
  for (size_t i = 0; i < kQcReasonCount; ++i) reasons[i] += o.reasons[i];
  checked += o.checked;
  flagged += o.flagged;
  kept += o.kept;
  alternative += o.alternative;
  retried += o.retried;
  retry_fixed += o.retry_fixed;
  synthetic += o.synthetic;
  raw += o.raw;
  dropped += o.dropped;
}

nlohmann::ordered_json QcCounts::ToJson() const {
  nlohmann::ordered_json j;
  j["checked"] = checked;
  j["flagged"] = flagged;
  nlohmann::ordered_json r = nlohmann::ordered_json::object();
  for (size_t i = 0; i < kQcReasonCount; ++i) r[QcReasonName(static_cast<QcReason>(i))] = reasons[i];
  j["reasons"] = r;
  nlohmann::ordered_json a;
  a["keep"] = kept;
  a["alternative"] = alternative;
  a["retry"] = retried;
  a["retry_fixed"] = retry_fixed;
  a["synthetic"] = synthetic;
  a["raw"] = raw;
  a["drop"] = dropped;
  j["actions"] = a;
  return j;
}

QcCounts QcCounts::FromJson(const nlohmann::json& j) {
  QcCounts c;
  if (!j.is_object()) return c;
  c.checked = j.value("checked", uint64_t{0});
  c.flagged = j.value("flagged", uint64_t{0});
  if (j.contains("reasons") && j["reasons"].is_object()) {
    for (size_t i = 0; i < kQcReasonCount; ++i) {
      c.reasons[i] = j["reasons"].value(QcReasonName(static_cast<QcReason>(i)), uint64_t{0});
    }
  }
  if (j.contains("actions") && j["actions"].is_object()) {
    const auto& a = j["actions"];
    c.kept = a.value("keep", uint64_t{0});
    c.alternative = a.value("alternative", uint64_t{0});
    c.retried = a.value("retry", uint64_t{0});
    c.retry_fixed = a.value("retry_fixed", uint64_t{0});
    c.synthetic = a.value("synthetic", uint64_t{0});
    c.raw = a.value("raw", uint64_t{0});
    c.dropped = a.value("drop", uint64_t{0});
  }
  return c;
}

std::string QcReasonList(const QcResult& result) {
  std::string out;
  for (QcReason r : result.reasons) {
    if (!out.empty()) out += ",";
    out += QcReasonName(r);
  }
  return out;
}

Status RunQc(const QcSettings& s, std::vector<QcItem>* items, const QcRefuse& refuse, QcCounts* counts) {
  auto run_checks = [&](const QcItem& it, std::string_view text) {
    return s.checker ? s.checker(it.raw, it.synthetic, text) : CheckFusion(it.raw, it.synthetic, text, s.options);
  };
  // The caption, or when it fails a check the first of its alternatives (the
  // next best beams, best first) that passes them all.
  auto check = [&](QcItem& it) {
    it.result = run_checks(it, it.fused.text);
    it.alternative = 0;
    for (size_t k = 0; !it.result.passed() && k < it.fused.alternatives.size(); ++k) {
      QcResult r = run_checks(it, it.fused.alternatives[k]);
      if (!r.passed()) continue;
      it.result = std::move(r);
      it.fused.text = it.fused.alternatives[k];
      it.alternative = static_cast<int>(k) + 1;
    }
    it.action = s.policy.Decide(it.result);
  };
  for (QcItem& it : *items) {
    check(it);
    ++counts->checked;
  }
  for (int round = 0; refuse && round < s.max_retries; ++round) {
    std::vector<size_t> again;
    for (size_t i = 0; i < items->size(); ++i) {
      if ((*items)[i].action == QcAction::kRetry) again.push_back(i);
    }
    if (again.empty()) break;
    std::vector<FusedCaption> redo;
    CF_RETURN_IF_ERROR(refuse(again, &redo));
    for (size_t k = 0; k < again.size(); ++k) {
      QcItem& it = (*items)[again[k]];
      ++it.retries;
      // A retry that failed outright leaves the previous caption and verdict.
      if (k >= redo.size() || !redo[k].status.ok()) continue;
      it.fused = std::move(redo[k]);
      check(it);
    }
  }
  for (QcItem& it : *items) {
    if (it.action == QcAction::kRetry) it.action = QcAction::kKeep;  // retries exhausted
    if (it.alternative > 0) ++counts->alternative;
    if (it.retries > 0) {
      ++counts->retried;
      if (it.result.passed()) ++counts->retry_fixed;
    }
    if (!it.result.passed()) {
      ++counts->flagged;
      for (QcReason r : it.result.reasons) ++counts->reasons[static_cast<size_t>(r)];
    }
    switch (it.action) {
      case QcAction::kKeep:
        it.text = it.fused.text;
        if (!it.result.passed()) ++counts->kept;
        break;
      case QcAction::kFallbackSynthetic:
        it.text = std::string(it.synthetic);
        ++counts->synthetic;
        break;
      case QcAction::kFallbackRaw:
        it.text = std::string(it.raw);
        ++counts->raw;
        break;
      case QcAction::kDrop:
        ++counts->dropped;
        break;
      case QcAction::kRetry:
        break;
    }
  }
  return Status::OK();
}

}  // namespace capsfusion
