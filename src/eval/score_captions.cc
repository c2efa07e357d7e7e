// ScoreCaptions: pycocoevalcap's tokenize-then-score pipeline. The references
// are PTB-tokenized as one stream in item order and the candidates as another
// (two Java runs in pycocoevalcap), because the last token of a caption can
// depend on the caption after it.

#include <string>
#include <vector>

#include "capsfusion/metrics.h"

namespace capsfusion {

CorpusScores ScoreCaptions(const std::vector<std::vector<std::string>>& refs,
                           const std::vector<std::string>& candidates) {
  std::vector<std::string> flat;
  for (const auto& item : refs) flat.insert(flat.end(), item.begin(), item.end());
  const std::vector<std::string> ref_lines = PtbTokenizeBatch(flat);
  const std::vector<std::string> cand_lines = PtbTokenizeBatch(candidates);

  std::vector<std::vector<std::string>> tokenized_refs(refs.size());
  size_t next = 0;
  for (size_t i = 0; i < refs.size(); ++i) {
    tokenized_refs[i].reserve(refs[i].size());
    for (size_t r = 0; r < refs[i].size(); ++r, ++next) {
      tokenized_refs[i].push_back(next < ref_lines.size() ? ref_lines[next] : std::string());
    }
  }
  return ScoreTokenized(tokenized_refs, cand_lines);
}

}  // namespace capsfusion
