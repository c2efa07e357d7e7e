// hallucination: names of the fused caption found in neither source.
//
// Names are those of IsName (names.cc): a sentence-initial "Nestled" is
// style, not a name. A name comes from a source when the source has a
// related word (Caption::HoldsRelated: same word, across word breaks, or same
// stem) or, for a nationality word, its country ("French" from "France").

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

// Nationality words whose country does not share their first five letters
// (the stem rule covers "Canadian", "Japanese", "Australian", ...), and
// other names of a few countries. A fused word of a row comes from a source
// holding any word of the same row.
constexpr std::array<std::array<std::string_view, 4>, 27> kSameCountry = {{
    {"french", "france", "", ""},         {"chinese", "china", "", ""},       {"british", "britain", "uk", "england"},
    {"english", "england", "uk", "britain"}, {"italian", "italy", "", ""},   {"spanish", "spain", "", ""},
    {"dutch", "netherlands", "holland", ""}, {"swiss", "switzerland", "", ""}, {"greek", "greece", "", ""},
    {"irish", "ireland", "", ""},         {"scottish", "scotland", "", ""},   {"welsh", "wales", "", ""},
    {"turkish", "turkey", "", ""},        {"polish", "poland", "", ""},       {"thai", "thailand", "", ""},
    {"danish", "denmark", "", ""},        {"swedish", "sweden", "", ""},      {"norwegian", "norway", "", ""},
    {"finnish", "finland", "", ""},       {"filipino", "philippines", "", ""}, {"portuguese", "portugal", "", ""},
    {"belgian", "belgium", "", ""},       {"peruvian", "peru", "", ""},       {"texan", "texas", "", ""},
    {"united", "usa", "us", "american"},  {"states", "usa", "us", "american"}, {"america", "usa", "us", "american"},
}};

bool HasWord(const Caption& c, std::string_view word) {
  for (const eval::FusionWord& w : *c.words) {
    if (w.text == word) return true;
  }
  return false;
}

bool FromSource(const Caption& source, const eval::FusionWord& w) {
  if (source.HoldsRelated(w) || source.HoldsRespelt(w)) return true;
  for (const auto& row : kSameCountry) {
    if (std::find(row.begin(), row.end(), w.text) == row.end()) continue;
    for (std::string_view other : row) {
      if (!other.empty() && other != w.text && HasWord(source, other)) return true;
    }
  }
  return false;
}

}  // namespace

size_t HallucinatedNames(const Triplet& t, Found* found) {
  std::vector<const eval::FusionWord*> hits;
  thread_local std::vector<const eval::FusionWord*> names;
  names.clear();
  for (const eval::FusionWord& w : *t.fused.words) {
    if (IsName(t.fused, w)) names.push_back(&w);
  }
  if (names.empty()) return 0;
  std::stable_sort(names.begin(), names.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  size_t count = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0 && names[i]->hash == names[i - 1]->hash && names[i]->text == names[i - 1]->text) continue;
    if (FromSource(t.raw, *names[i]) || FromSource(t.synthetic, *names[i])) continue;
    ++count;
    if (found != nullptr) hits.push_back(names[i]);
  }
  if (found != nullptr) AddFound(t.fused.text, &hits, found);
  return count;
}

}  // namespace capsfusion::qc
