// Copy augmentation: teaches the model to copy names and numbers instead of
// memorising them.
//
// An augmented copy of a triplet has every capitalised word and every number of
// its raw caption replaced by another one, consistently: the same replacement
// wherever the word occurs in the raw, synthetic and fused captions. Replacement
// words come from the capitalised words of the training raw captions; numbers
// get random digits of the same length.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/triplet.h"

namespace capsfusion::train {

class CopyAugmenter {
 public:
  //! Collects the replacement pool from the raw captions of `rows`.
  explicit CopyAugmenter(const std::vector<Triplet>& rows);

  //! The augmented copy of `t`; the same `seed` gives the same copy. A triplet
  //! with nothing to replace comes back unchanged.
  Triplet Augment(const Triplet& t, uint64_t seed) const;

  size_t pool_size() const { return pool_.size(); }

 private:
  std::vector<std::string> pool_;
};

//! The capitalised words (two letters or more, not a common function word) and
//! digit runs of `text`, in order of first appearance, without repeats.
std::vector<std::string> CopyableWords(const std::string& text);

}  // namespace capsfusion::train
