// Prompt-leak detection: the fused caption repeats words of the fusion
// instruction ("Sentence 1 provides detailed real-world knowledge, ...").
// Phrases are matched on whole words after the fusion tokenizer (lowercase,
// hyphens and punctuation split words), so "Real-World knowledge" and
// "real world knowledge" match alike and "sentence 10" does not match
// "sentence 1".

#include <array>
#include <string_view>
#include <vector>

#include "capsfusion/fusion_metrics.h"
#include "eval/fusion_checks.h"
#include "eval/ngrams.h"

namespace capsfusion {
namespace eval {
namespace {

// The phrase list of docs/metrics.md. Bit i of LeakPhrases is phrase i.
constexpr std::array<std::string_view, 26> kPhrases = {
    "sentence 1",          "sentence 2",           "new sentence",
    "merge and refine",    "merged sentence",      "refined sentence",
    "merged and refined",  "refined and merged",   "real world knowledge",
    "detailed real world", "in depth real world",  "real world details",
    "sentence structure",  "well structured",      "exhibits nice",
    "lacks in depth",      "lacking in depth",     "may contain false information",
    "flaws in sentence",   "simply concatenating", "concatenating the sentences",
    "given sentences",     "the first sentence",   "the second sentence",
    "both sentences",      "the two sentences",
};
static_assert(kPhrases.size() <= 32, "LeakPhrases returns a 32-bit mask");

struct Phrase {
  std::vector<uint64_t> hashes;
  std::vector<std::string_view> words;
};

std::vector<Phrase> BuildPhrases() {
  std::vector<Phrase> out;
  for (std::string_view p : kPhrases) {
    Phrase phrase;
    size_t i = 0;
    while (i < p.size()) {
      size_t j = p.find(' ', i);
      if (j == std::string_view::npos) j = p.size();
      phrase.words.push_back(p.substr(i, j - i));
      phrase.hashes.push_back(HashBytes(phrase.words.back()));
      i = j + 1;
    }
    out.push_back(std::move(phrase));
  }
  return out;
}

}  // namespace

uint32_t LeakPhrases(const std::vector<FusionWord>& words) {
  static const std::vector<Phrase> phrases = BuildPhrases();
  uint32_t mask = 0;
  for (size_t i = 0; i < words.size(); ++i) {
    for (size_t p = 0; p < phrases.size(); ++p) {
      const Phrase& ph = phrases[p];
      if (words[i].hash != ph.hashes[0] || i + ph.words.size() > words.size()) continue;
      bool match = true;
      for (size_t k = 0; k < ph.words.size() && match; ++k) {
        match = words[i + k].hash == ph.hashes[k] && words[i + k].text == ph.words[k];
      }
      if (match) mask |= 1u << p;
    }
  }
  return mask;
}

}  // namespace eval

bool IsPromptLeak(std::string_view text) {
  thread_local eval::WordTokenizer tokenizer;
  return eval::LeakPhrases(tokenizer.Tokenize(text)) != 0;
}

}  // namespace capsfusion
