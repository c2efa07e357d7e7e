// dropped_name: proper words (names) of the raw caption that the fused
// caption lacks. A raw name is kept when the fused caption has the same word
// (case-insensitive, possessive ignored) or, for names of 4 bytes or more,
// holds it across word breaks ("NorthFace" in "North Face").

#include <algorithm>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {

namespace {
constexpr size_t kMinSquashed = 4;
}  // namespace

size_t DroppedNames(const Triplet& t) {
  thread_local std::vector<const eval::FusionWord*> names;
  names.clear();
  for (const eval::FusionWord& w : *t.raw.words) {
    if (eval::IsProperWord(w, t.raw.title_case)) names.push_back(&w);
  }
  if (names.empty()) return 0;
  std::sort(names.begin(), names.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  size_t dropped = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0 && names[i]->hash == names[i - 1]->hash && names[i]->text == names[i - 1]->text) continue;
    if (!t.fused.Holds(*names[i], kMinSquashed)) ++dropped;
  }
  return dropped;
}

}  // namespace capsfusion::qc
