// QcPolicy: one action per reason, parsed from "reason=action,..."; the
// strongest action of the failed reasons wins.

#include <string>
#include <string_view>

#include "capsfusion/qc.h"

namespace capsfusion {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Strength order: drop > raw > synthetic > retry > keep.
int Strength(QcAction a) {
  switch (a) {
    case QcAction::kKeep: return 0;
    case QcAction::kRetry: return 1;
    case QcAction::kFallbackSynthetic: return 2;
    case QcAction::kFallbackRaw: return 3;
    case QcAction::kDrop: return 4;
  }
  return 0;
}

}  // namespace

QcPolicy QcPolicy::Default() {
  QcPolicy p;
  for (QcReason r : {QcReason::kEmpty, QcReason::kPromptLeak, QcReason::kRepetition, QcReason::kConcatenation}) {
    p.action[static_cast<size_t>(r)] = QcAction::kRetry;
  }
  return p;
}

StatusOr<QcPolicy> QcPolicy::Parse(std::string_view spec, const QcPolicy& base) {
  QcPolicy p = base;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view item = Trim(spec.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty()) {
      if (comma == spec.size()) break;
      continue;  // "a=b,,c=d" or a trailing comma
    }
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("QC policy item \"" + std::string(item) +
                                     "\" is not reason=action (e.g. prompt_leak=retry)");
    }
    const std::string_view reason = Trim(item.substr(0, eq)), action_name = Trim(item.substr(eq + 1));
    auto action = ParseQcAction(action_name);
    if (!action.ok()) {
      return Status::InvalidArgument("QC policy item \"" + std::string(item) + "\": " + action.status().message());
    }
    if (reason == "all") {
      p.action.fill(*action);
      continue;
    }
    auto r = ParseQcReason(reason);
    if (!r.ok()) {
      return Status::InvalidArgument("QC policy item \"" + std::string(item) + "\": " + r.status().message() +
                                     " or all");
    }
    p.action[static_cast<size_t>(*r)] = *action;
  }
  return p;
}

QcAction QcPolicy::Decide(const QcResult& result) const {
  QcAction best = QcAction::kKeep;
  for (QcReason r : result.reasons) {
    const size_t i = static_cast<size_t>(r);
    if (i >= action.size()) continue;
    if (Strength(action[i]) > Strength(best)) best = action[i];
  }
  return best;
}

std::string QcPolicy::ToString() const {
  std::string out;
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    if (i) out += ',';
    out += QcReasonName(static_cast<QcReason>(i));
    out += '=';
    out += QcActionName(action[i]);
  }
  return out;
}

}  // namespace capsfusion
