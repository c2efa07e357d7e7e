// dropped_name: names of the raw caption (IsName, names.cc) that the fused
// caption lacks. The fused caption keeps a name when it has a related word
// (Caption::HoldsRelated: the same word, case-insensitive, possessive
// ignored; across word breaks, "NorthFace" in "North Face"; the same stem,
// "Canada" in "Canadian"), or, for a camel-case word, each of its parts of 3
// letters or more ("overAlbany": "Albany").

#include <algorithm>
#include <string>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

// Each lowercase-to-uppercase part of a camel-case word ("overAlbany" ->
// "over", "Albany") of 3 letters or more is in the fused caption.
bool CamelPartsKept(const Caption& fused, std::string_view original) {
  size_t start = 0, parts = 0;
  for (size_t i = 1; i <= original.size(); ++i) {
    const bool cut = i == original.size() ||
                     (original[i] >= 'A' && original[i] <= 'Z' && original[i - 1] >= 'a' && original[i - 1] <= 'z');
    if (!cut) continue;
    std::string part(original.substr(start, i - start));
    start = i;
    for (char& c : part) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    ++parts;
    if (part.size() < 3) continue;
    if (fused.squashed.find(part) == std::string::npos) return false;
  }
  return parts > 1;
}

}  // namespace

size_t DroppedNames(const Triplet& t, Found* found) {
  std::vector<const eval::FusionWord*> hits;
  thread_local std::vector<const eval::FusionWord*> names;
  names.clear();
  for (const eval::FusionWord& w : *t.raw.words) {
    if (IsName(t.raw, w)) names.push_back(&w);
  }
  if (names.empty()) return 0;
  std::stable_sort(names.begin(), names.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  size_t dropped = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0 && names[i]->hash == names[i - 1]->hash && names[i]->text == names[i - 1]->text) continue;
    if (t.fused.HoldsRelated(*names[i])) continue;
    if (CamelPartsKept(t.fused, Original(t.raw.text, *names[i]))) continue;
    if (t.fused.HoldsRespelt(*names[i])) continue;
    ++dropped;
    if (found != nullptr) hits.push_back(names[i]);
  }
  if (found != nullptr) AddFound(t.raw.text, &hits, found);
  return dropped;
}

}  // namespace capsfusion::qc
