// Example: one tokenized training sequence, and the builder that makes them
// exactly as the engine will tokenize the filled compact template.
//
// For the template "<raw>{raw}<syn>{synthetic}<fus>" a fusion example is
//   BOS <raw> ids(raw) <syn> ids(synthetic) <fus> | ids(fused) EOS
// where ids(text) is the text encoded with a leading space (the engine encodes
// a text fragment that follows a special piece that way). The loss is on the
// part after '|'. Prompt tokens that are not special are copy sources.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "train/sp_vocab.h"
#include "train/triplet.h"

namespace capsfusion::train {

struct Example {
  std::vector<int32_t> prompt;  //!< BOS and the filled template
  std::vector<int32_t> target;  //!< the fused caption, then EOS (no EOS when cut)
  std::vector<uint8_t> source;  //!< per prompt token: 1 when the copy head may point at it
  bool lm = false;              //!< caption-text example: loss on every token after BOS, no copying
  size_t length() const { return prompt.size() + target.size(); }
};

class ExampleBuilder {
 public:
  //! Checks that `tmpl` has {raw} and {synthetic} once each and that its
  //! literal parts are special pieces of `vocab`.
  static StatusOr<ExampleBuilder> Create(const SpVocab* vocab, const std::string& tmpl, const DataOptions& options);

  //! The prompt of a pair, raw and synthetic cut to their token limits.
  std::vector<int32_t> Prompt(const std::string& raw, const std::string& synthetic,
                              std::vector<uint8_t>* source) const;
  Example Build(const Triplet& t) const;
  //! A plain caption-text example: BOS ids(text) EOS.
  Example BuildLm(const std::string& text) const;

  const SpVocab& vocab() const { return *vocab_; }

 private:
  struct Part {
    std::vector<int32_t> ids;  //!< special pieces, or empty when `field` is set
    int field = -1;            //!< 0: raw, 1: synthetic
  };
  const SpVocab* vocab_ = nullptr;
  std::vector<Part> parts_;
  int max_raw_ = 0, max_synthetic_ = 0, max_target_ = 0;
};

}  // namespace capsfusion::train
