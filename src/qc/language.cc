// language: the fused caption is not in the language of its sources.
//
// Two rules (docs/qc.md, "language"):
// 1. Script: some script holds at least foreign_script_share of the fused
//    caption's letters while neither source has source_script_share of its
//    letters in it (a Chinese caption from English sources, an English one
//    from Russian sources). Needs at least kMinLetters fused letters.
// 2. Latin-script language, from function words of seven languages: the
//    fused caption (mostly Latin letters) has at least min_function_words
//    function words of some language L, at most a quarter as many English
//    ones (or, for L = English, at most a quarter as many of any other), and
//    no source has a single function word of L or of any language nearly as
//    likely (at least half of L's count) for the fused caption. For L =
//    English a source must also show another language (2 function words).
//    Without such evidence nothing is flagged.

#include <algorithm>
#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "eval/ngrams.h"
#include "qc/qc_checks.h"

namespace capsfusion::qc {
namespace {

constexpr uint32_t kMinLetters = 4;
constexpr size_t kEnglish = static_cast<size_t>(Language::kEnglish);

// Frequent function words, lowercase. Words that are also frequent English
// caption words ("a", "in", "as", "do", "no", "van", "met", "am", "son") are left
// out of the other lists; a word may belong to several languages.
constexpr std::array<std::string_view, kLanguageCount> kWords = {
    // English
    "the and of with to for this that while which from by at their his her was were has have on its it are",
    // German
    "der die das und mit von ist im den dem des ein eine einer einem eines auf für zu zum zur bei aus nicht "
    "sich auch wird sind oder vom",
    // French
    "le la les des du et est une un au aux avec pour dans sur par ce cette ces qui que sont ou en de à",
    // Spanish
    "el la los las del y con para por una un es en que al se su sus como de muy este esta",
    // Italian
    "il lo la gli le della delle dei degli del di e è con per una un nel nella che da sono al alla questo questa",
    // Portuguese
    "o os da dos das e é com para por uma um em na nos nas que ao à seu sua",
    // Dutch
    "de het een en voor op zijn niet bij naar ook dit deze wordt aan te",
};

constexpr std::array<const char*, kLanguageCount> kLanguageNames = {
    "English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch"};

struct Entry {
  uint64_t hash;
  std::string_view word;
  uint8_t languages;  // bit per Language
};

std::vector<Entry> BuildTable() {
  std::vector<Entry> table;
  for (size_t lang = 0; lang < kWords.size(); ++lang) {
    std::string_view list = kWords[lang];
    size_t i = 0;
    while (i < list.size()) {
      size_t j = list.find(' ', i);
      if (j == std::string_view::npos) j = list.size();
      const std::string_view w = list.substr(i, j - i);
      i = j + 1;
      const uint64_t h = eval::HashBytes(w);
      auto it = std::find_if(table.begin(), table.end(), [&](const Entry& e) { return e.word == w; });
      if (it != table.end()) {
        it->languages |= static_cast<uint8_t>(1u << lang);
      } else {
        table.push_back(Entry{h, w, static_cast<uint8_t>(1u << lang)});
      }
    }
  }
  std::sort(table.begin(), table.end(), [](const Entry& a, const Entry& b) { return a.hash < b.hash; });
  return table;
}

uint8_t LanguagesOf(const eval::FusionWord& w) {
  static const std::vector<Entry> table = BuildTable();
  if (w.text.size() > 6) return 0;  // every listed word is short
  auto it = std::lower_bound(table.begin(), table.end(), w.hash,
                             [](const Entry& e, uint64_t h) { return e.hash < h; });
  for (; it != table.end() && it->hash == w.hash; ++it) {
    if (it->word == w.text) return it->languages;
  }
  return 0;
}

bool ScriptRule(const Triplet& t, const QcOptions& o, const ScriptProfile& fused, std::string* why) {
  if (fused.total < kMinLetters) return false;
  bool sources_measured = false;
  ScriptProfile raw, synthetic;
  for (size_t k = 0; k + 1 < kScriptCount; ++k) {
    const Script s = static_cast<Script>(k);
    if (fused.letters[k] == 0 || fused.Share(s) < o.foreign_script_share) continue;
    if (!sources_measured) {
      raw.Measure(t.raw.text);
      synthetic.Measure(t.synthetic.text);
      sources_measured = true;
    }
    if (raw.Share(s) >= o.source_script_share || synthetic.Share(s) >= o.source_script_share) continue;
    if (why != nullptr) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "script %s: %.2f of the fused letters, %.2f / %.2f of the raw / synthetic letters",
                    ScriptName(s), fused.Share(s), raw.Share(s), synthetic.Share(s));
      *why = buf;
    }
    return true;
  }
  return false;
}

bool WordRule(const Triplet& t, const QcOptions& o, const ScriptProfile& fused, std::string* why) {
  if (fused.total < kMinLetters || fused.Share(Script::kLatin) < 0.5) return false;
  const auto f = FunctionWordHits(*t.fused.words);
  const uint32_t min_hits = static_cast<uint32_t>(std::max(1, o.min_function_words));
  // The language with the most function words, English last on ties.
  size_t best = kEnglish;
  uint32_t other_max = 0;  // the most of any language but `best`
  for (size_t l = 0; l < kLanguageCount; ++l) {
    if (l != kEnglish && f[l] > f[best]) best = l;
  }
  for (size_t l = 0; l < kLanguageCount; ++l) {
    if (l != best) other_max = std::max(other_max, f[l]);
  }
  if (f[best] < min_hits) return false;
  if (best != kEnglish && f[kEnglish] * 4 > f[best]) return false;
  if (best == kEnglish && other_max * 4 > f[best]) return false;
  const auto r = FunctionWordHits(*t.raw.words);
  const auto s = FunctionWordHits(*t.synthetic.words);
  std::string plausible;
  for (size_t l = 0; l < kLanguageCount; ++l) {
    if (l != best && (l == kEnglish || best == kEnglish || f[l] * 2 < f[best])) continue;
    if (r[l] > 0 || s[l] > 0) return false;  // a source is (or may be) in that language
    if (!plausible.empty()) plausible += '/';
    plausible += kLanguageNames[l];
  }
  if (best == kEnglish) {
    uint32_t other = 0;
    for (size_t l = 0; l < kLanguageCount; ++l) {
      if (l != kEnglish) other = std::max(other, std::max(r[l], s[l]));
    }
    if (other < 2) return false;  // no sign that the sources are in another language
  }
  if (why != nullptr) {
    *why = "function words: " + std::to_string(f[best]) + " " + plausible + ", " + std::to_string(f[kEnglish]) +
           " English; none of " + plausible + " in the sources";
  }
  return true;
}

}  // namespace

const char* LanguageName(Language language) {
  const size_t i = static_cast<size_t>(language);
  return i < kLanguageNames.size() ? kLanguageNames[i] : "unknown";
}

std::array<uint32_t, kLanguageCount> FunctionWordHits(const std::vector<eval::FusionWord>& words) {
  std::array<uint32_t, kLanguageCount> hits{};
  for (const eval::FusionWord& w : words) {
    const uint8_t m = LanguagesOf(w);
    if (m == 0) continue;
    for (size_t l = 0; l < kLanguageCount; ++l) hits[l] += (m >> l) & 1u;
  }
  return hits;
}

LanguageVerdict CheckLanguage(const Triplet& t, const QcOptions& options) {
  LanguageVerdict v;
  ScriptProfile fused;
  fused.Measure(t.fused.text);
  v.failed = ScriptRule(t, options, fused, &v.why) || WordRule(t, options, fused, &v.why);
  return v;
}

}  // namespace capsfusion::qc
