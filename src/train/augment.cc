#include "train/augment.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_set>

#include "train/rng.h"

namespace capsfusion::train {

namespace {

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsDigits(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

//! Capitalised words that carry no knowledge; replacing them would break the
//! fused caption's grammar ("The image shows ...").
const std::unordered_set<std::string>& CommonWords() {
  static const std::unordered_set<std::string> kWords = {
      "The", "A", "An", "And", "Or", "Of", "In", "On", "At", "To", "For", "With", "From", "By", "As", "Is",
      "It", "Its", "This", "That", "These", "Those", "Be", "Are", "Was", "Were", "I", "You", "We", "They",
      "He", "She", "My", "Your", "Our", "Their", "His", "Her", "New", "Not", "No", "All", "Up", "Out",
      "How", "What", "Why", "When", "Where", "Who", "Do", "Can", "Will", "If", "But", "So", "Into", "Over",
  };
  return kWords;
}

//! Splits into maximal runs of ASCII letters and digits.
std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordChar(text[j])) ++j;
    out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsCopyable(const std::string& w) {
  if (IsDigits(w)) return true;
  if (w.size() < 2 || !std::isupper(static_cast<unsigned char>(w[0]))) return false;
  return CommonWords().count(w) == 0;
}

//! Replaces whole-word occurrences using `map`.
std::string ReplaceWords(const std::string& text, const std::map<std::string, std::string>& map) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordChar(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsWordChar(text[j])) ++j;
    std::string w = text.substr(i, j - i);
    auto it = map.find(w);
    out.append(it == map.end() ? w : it->second);
    i = j;
  }
  return out;
}

bool AllUpper(const std::string& w) {
  bool any = false;
  for (char c : w) {
    if (std::islower(static_cast<unsigned char>(c))) return false;
    any |= std::isupper(static_cast<unsigned char>(c)) != 0;
  }
  return any;
}

}  // namespace

std::vector<std::string> CopyableWords(const std::string& text) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (std::string& w : Words(text)) {
    if (IsCopyable(w) && seen.insert(w).second) out.push_back(std::move(w));
  }
  return out;
}

CopyAugmenter::CopyAugmenter(const std::vector<Triplet>& rows) {
  std::set<std::string> pool;
  for (const Triplet& t : rows) {
    for (const std::string& w : CopyableWords(t.raw)) {
      if (!IsDigits(w) && std::isalpha(static_cast<unsigned char>(w.back()))) pool.insert(w);
    }
  }
  pool_.assign(pool.begin(), pool.end());
}

Triplet CopyAugmenter::Augment(const Triplet& t, uint64_t seed) const {
  std::vector<std::string> words = CopyableWords(t.raw);
  if (words.empty()) return t;
  Rng rng(seed);
  std::map<std::string, std::string> map;
  std::set<std::string> used(words.begin(), words.end());
  for (const std::string& w : words) {
    std::string rep;
    if (IsDigits(w)) {
      for (size_t k = 0; k < w.size(); ++k) {
        int lo = (k == 0 && w.size() > 1 && w[0] != '0') ? 1 : 0;
        rep.push_back(static_cast<char>('0' + lo + rng.Uniform(10 - lo)));
      }
    } else if (!pool_.empty()) {
      for (int attempt = 0; attempt < 8; ++attempt) {
        rep = pool_[rng.Uniform(pool_.size())];
        if (used.count(rep) == 0) break;
      }
      if (AllUpper(w) && w.size() > 1) {
        for (char& c : rep) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      }
    } else {
      rep = w;
    }
    used.insert(rep);
    map[w] = rep;
  }
  return Triplet{ReplaceWords(t.raw, map), ReplaceWords(t.synthetic, map), ReplaceWords(t.target, map), t.origin};
}

}  // namespace capsfusion::train
