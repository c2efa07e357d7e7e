// QC reason and action names (stable: they are written to datasets), and
// QcResult's membership test and JSON form.

#include <array>
#include <string>
#include <string_view>

#include "capsfusion/qc.h"

namespace capsfusion {
namespace {

constexpr std::array<const char*, kQcReasonCount> kReasonNames = {
    "empty",          "prompt_leak",   "concatenation", "dropped_name", "dropped_number",
    "hallucination",  "length_ratio",  "repetition",    "language",
};

constexpr std::array<const char*, 5> kActionNames = {"keep", "retry", "synthetic", "raw", "drop"};

template <typename List>
std::string Choices(const List& names) {
  std::string out;
  for (const char* n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

const char* QcReasonName(QcReason reason) {
  const size_t i = static_cast<size_t>(reason);
  return i < kReasonNames.size() ? kReasonNames[i] : "unknown";
}

StatusOr<QcReason> ParseQcReason(std::string_view name) {
  for (size_t i = 0; i < kReasonNames.size(); ++i) {
    if (name == kReasonNames[i]) return static_cast<QcReason>(i);
  }
  return Status::InvalidArgument("unknown QC reason \"" + std::string(name) + "\" (one of: " +
                                 Choices(kReasonNames) + ")");
}

const char* QcActionName(QcAction action) {
  const size_t i = static_cast<size_t>(action);
  return i < kActionNames.size() ? kActionNames[i] : "unknown";
}

StatusOr<QcAction> ParseQcAction(std::string_view name) {
  for (size_t i = 0; i < kActionNames.size(); ++i) {
    if (name == kActionNames[i]) return static_cast<QcAction>(i);
  }
  return Status::InvalidArgument("unknown QC action \"" + std::string(name) + "\" (one of: " +
                                 Choices(kActionNames) + ")");
}

bool QcResult::Has(QcReason r) const {
  for (QcReason x : reasons) {
    if (x == r) return true;
  }
  return false;
}

std::string QcResult::ToJson() const {
  std::string out = "[";
  for (size_t i = 0; i < reasons.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += QcReasonName(reasons[i]);  // names need no escaping
    out += '"';
  }
  out += ']';
  return out;
}

}  // namespace capsfusion
