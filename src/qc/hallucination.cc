// hallucination: proper words (names) of the fused caption found in neither
// source. A fused word counts as a name when the fusion metrics call it
// proper and, at a sentence start, only when it has a capital after its first
// letter ("USA", "McLennan"): a sentence-initial "Nestled" or "Showcasing" is
// style, not a name. A name comes from a source when the source has the same
// word, holds it across word breaks (3 bytes or more: "New York" in
// "NewYork2019"), or, for names of 6 bytes or more, holds it without its last
// two bytes ("Australian" from "Australia", "Americans" from "America").

#include <algorithm>
#include <string_view>
#include <vector>

#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

constexpr size_t kMinSquashed = 3;
constexpr size_t kMinStem = 6;

// A capital after the word's first byte in the original text.
bool InnerCapital(std::string_view text, const eval::FusionWord& w) {
  for (size_t i = w.begin + 1; i < w.end && i < text.size(); ++i) {
    if (text[i] >= 'A' && text[i] <= 'Z') return true;
  }
  return false;
}

bool FromSource(const Caption& source, const eval::FusionWord& w) {
  if (source.Holds(w, kMinSquashed)) return true;
  if (w.text.size() < kMinStem) return false;
  return source.squashed.find(w.text.substr(0, w.text.size() - 2)) != std::string::npos;
}

}  // namespace

size_t HallucinatedNames(const Triplet& t) {
  thread_local std::vector<const eval::FusionWord*> names;
  names.clear();
  for (const eval::FusionWord& w : *t.fused.words) {
    if (!eval::IsProperWord(w, t.fused.title_case)) continue;
    if (w.sentence_start && !InnerCapital(t.fused.text, w)) continue;
    names.push_back(&w);
  }
  if (names.empty()) return 0;
  std::sort(names.begin(), names.end(), [](const eval::FusionWord* a, const eval::FusionWord* b) {
    return a->hash != b->hash ? a->hash < b->hash : a->text < b->text;
  });
  size_t count = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0 && names[i]->hash == names[i - 1]->hash && names[i]->text == names[i - 1]->text) continue;
    if (!FromSource(t.raw, *names[i]) && !FromSource(t.synthetic, *names[i])) ++count;
  }
  return count;
}

}  // namespace capsfusion::qc
