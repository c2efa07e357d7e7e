#include "train/leak_filter.h"

#include <vector>

#include "capsfusion/fusion_metrics.h"

namespace capsfusion::train {

namespace {

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

bool IsPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic) {
  return capsfusion::IsPromptLeak(caption) && MeasureFusion(raw, synthetic, caption).prompt_leak;
}

std::string RepairPromptLeak(std::string_view caption, std::string_view raw, std::string_view synthetic) {
  std::string out;
  for (std::string_view s : Sentences(caption)) {
    if (IsPromptLeak(s, raw, synthetic)) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(s);
  }
  return out;
}

}  // namespace capsfusion::train
