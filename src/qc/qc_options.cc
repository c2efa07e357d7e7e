// QcOptions as JSON: the settings part of a run's fingerprint and provenance.

#include <cstdio>
#include <string>

#include "capsfusion/qc.h"

namespace capsfusion {
namespace {

void AddNumber(const char* key, double value, std::string* out) {
  char buf[64];
  std::snprintf(buf, sizeof buf, ",\"%s\":%.17g", key, value);
  *out += buf;
}

}  // namespace

std::string QcOptions::ToJson() const {
  std::string out = "{\"enabled\":[";
  bool first = true;
  for (size_t i = 0; i < kQcReasonCount; ++i) {
    if (!enabled[i]) continue;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += QcReasonName(static_cast<QcReason>(i));
    out += '"';
  }
  out += ']';
  AddNumber("min_length_ratio", min_length_ratio, &out);
  AddNumber("max_length_ratio", max_length_ratio, &out);
  AddNumber("repeat_ngram", repeat_ngram, &out);
  AddNumber("max_ngram_repeats", max_ngram_repeats, &out);
  AddNumber("max_dropped_names", static_cast<double>(max_dropped_names), &out);
  AddNumber("max_dropped_numbers", static_cast<double>(max_dropped_numbers), &out);
  AddNumber("max_hallucinated_names", static_cast<double>(max_hallucinated_names), &out);
  AddNumber("foreign_script_share", foreign_script_share, &out);
  AddNumber("source_script_share", source_script_share, &out);
  AddNumber("min_function_words", min_function_words, &out);
  out += '}';
  return out;
}

}  // namespace capsfusion
