#include "train/leak_filter.h"

#include <cctype>

namespace capsfusion::train {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool LeaksLowered(const std::string& caption, const std::string& raw, const std::string& synthetic) {
  for (const std::string& p : LeakPhrases()) {
    if (caption.find(p) == std::string::npos) continue;
    if (raw.find(p) != std::string::npos || synthetic.find(p) != std::string::npos) continue;
    return true;
  }
  return false;
}

//! Splits after '.', '!' or '?' that a space follows; keeps the punctuation.
std::vector<std::string_view> Sentences(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if ((c == '.' || c == '!' || c == '?') && i + 1 < text.size() && text[i + 1] == ' ') {
      out.push_back(text.substr(start, i + 1 - start));
      start = i + 2;
    }
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

}  // namespace

const std::vector<std::string>& LeakPhrases() {
  static const std::vector<std::string> kPhrases = {
      "real-world knowledge", "real-world detail", "real-world information", "sentence structure",
      "well-structured",      "nice sentence",     "in-depth real-world",    "false information",
      "sentence 1",           "sentence 2",        "new sentence",           "concatenat",
  };
  return kPhrases;
}

bool IsPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic) {
  return LeaksLowered(Lower(caption), Lower(raw), Lower(synthetic));
}

std::string RepairPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic) {
  std::string lraw = Lower(raw), lsyn = Lower(synthetic);
  std::string out;
  for (std::string_view s : Sentences(caption)) {
    if (LeaksLowered(Lower(s), lraw, lsyn)) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(s);
  }
  return out;
}

}  // namespace capsfusion::train
