// Example: one tokenized training sequence, and the builder that makes them
// exactly as the engine tokenizes the filled compact template.
//
// For the template "<raw> {raw}<syn> {synthetic}<fus>" a fusion example is
//   encode(BOS + "<raw> RAW<syn> SYN<fus>") | encode(FUSED) EOS
// (encode: the project's LlamaTokenizer, as the engine runs it; the space after
// each opening piece makes the first word of a caption the same piece it is in
// the middle of a sentence, so it can be copied). The loss is on the part after
// '|'. Copy sources are the prompt's tokens that are not special and come
// before the template's end piece (<fus>), the rule docs/model.md states for
// the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/prompt.h"
#include "capsfusion/status.h"
#include "train/triplet.h"
#include "train/vocab.h"

namespace capsfusion::train {

struct Example {
  std::vector<int32_t> prompt;  //!< BOS and the filled template
  std::vector<int32_t> target;  //!< the fused caption, then EOS (no EOS when cut)
  std::vector<uint8_t> source;  //!< per prompt token: 1 when the copy head may point at it
  bool lm = false;              //!< caption-text example: loss on every token after BOS, no copying
  size_t length() const { return prompt.size() + target.size(); }
};

//! The copy-source flags of a prompt: 1 for every token that is not special
//! (control, unknown, user-defined) and precedes the first `end_id`.
std::vector<uint8_t> CopySources(const std::vector<int32_t>& prompt, const Vocab& vocab, int32_t end_id);

class ExampleBuilder {
 public:
  //! Checks that `tmpl` has {raw} and {synthetic} once each and ends with a
  //! special piece of `vocab` (where generation starts).
  static StatusOr<ExampleBuilder> Create(const Vocab* vocab, const std::string& tmpl, const DataOptions& options);

  //! The prompt of a pair, raw and synthetic cut to their token limits.
  std::vector<int32_t> Prompt(const std::string& raw, const std::string& synthetic,
                              std::vector<uint8_t>* source) const;
  Example Build(const Triplet& t) const;
  //! A plain caption-text example: BOS encode(text) EOS.
  Example BuildLm(const std::string& text) const;

  const Vocab& vocab() const { return *vocab_; }
  int32_t end_id() const { return end_id_; }

 private:
  std::string Cut(const std::string& text, int max_tokens) const;
  std::vector<int32_t> Target(const std::string& text) const;

  const Vocab* vocab_ = nullptr;
  PromptTemplate template_;
  int32_t end_id_ = -1;
  int max_raw_ = 0, max_synthetic_ = 0, max_target_ = 0;
};

}  // namespace capsfusion::train
