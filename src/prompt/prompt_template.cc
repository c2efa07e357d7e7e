#include "capsfusion/prompt.h"

#include <fstream>
#include <sstream>

namespace capsfusion {

namespace {
constexpr std::string_view kRaw = "{raw}";
constexpr std::string_view kSynthetic = "{synthetic}";

size_t CountOccurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}
}  // namespace

PromptTemplate PromptTemplate::Paper() {
  // The instruction of capsfusion_inference.py in the CapsFusion release.
  return PromptTemplate{
      "capsfusion-paper",
      "Please merge and refine the information from the two given sentences. "
      "Sentence 1 provides detailed real-world knowledge, "
      "yet it suffers from flaws in sentence structure and grammar. "
      "Sentence 2 exhibits nice sentence structure, "
      "but lacking in-depth real-world details and may contain false information. "
      "Please combine them into a new sentence, "
      "ensuring a well-structured sentence while retaining the detailed real-world "
      "information provided in Sentence 1. "
      "Avoid simply concatenating the sentences.\n\n"
      "Sentence 1: {raw}\n"
      "Sentence 2: {synthetic}\n"
      "New Sentence:"};
}

Status PromptTemplate::Validate() const {
  size_t r = CountOccurrences(text, kRaw), s = CountOccurrences(text, kSynthetic);
  if (r != 1 || s != 1) {
    return Status::InvalidArgument("prompt template '" + id + "' must contain {raw} and {synthetic} exactly once (found " +
                                   std::to_string(r) + " and " + std::to_string(s) + ")");
  }
  return Status::OK();
}

StatusOr<PromptTemplate> PromptTemplate::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open prompt template " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  PromptTemplate t;
  t.text = ss.str();
  // A trailing newline from the editor is not part of the prompt.
  while (!t.text.empty() && (t.text.back() == '\n' || t.text.back() == '\r')) t.text.pop_back();
  std::string base = path.substr(path.find_last_of('/') + 1);
  t.id = base.substr(0, base.find('.'));
  Status s = t.Validate();
  if (!s.ok()) return s.WithContext(path);
  return t;
}

std::string PromptTemplate::Fill(std::string_view raw, std::string_view synthetic) const {
  std::string out;
  out.reserve(text.size() + raw.size() + synthetic.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.compare(pos, kRaw.size(), kRaw) == 0) {
      out.append(raw);
      pos += kRaw.size();
    } else if (text.compare(pos, kSynthetic.size(), kSynthetic) == 0) {
      out.append(synthetic);
      pos += kSynthetic.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

}  // namespace capsfusion
