// qc::Caption: a caption tokenized once, with its distinct words and its
// squashed text for the checks that compare captions.

#include "qc/qc_checks.h"

namespace capsfusion::qc {

void Caption::Fill(eval::WordTokenizer* tokenizer, std::string_view t) {
  text = t;
  words = &tokenizer->Tokenize(t);
  title_case = tokenizer->title_case();
  set.Clear();
  squashed.clear();
  for (const eval::FusionWord& w : *words) {
    set.Add(w);
    squashed.append(w.text.data(), w.text.size());
  }
  set.Seal();
}

bool Caption::Holds(const eval::FusionWord& w, size_t min_squashed) const {
  if (set.Contains(w)) return true;
  return w.text.size() >= min_squashed && squashed.find(w.text) != std::string::npos;
}

}  // namespace capsfusion::qc
