// EpochSource: the examples an epoch trains on.
//
// Every epoch holds the training rows; with augmentation, `augment_copies`
// copies of each row whose names and numbers are replaced (fresh ones each
// epoch); with caption-text mixing, a share of plain target or synthetic
// captions for language modelling. The content of an epoch is a pure function
// of (seed, epoch), which is what makes resuming in the middle exact.
#pragma once

#include <cstdint>
#include <vector>

#include "train/augment.h"
#include "train/example.h"
#include "train/triplet.h"

namespace capsfusion::train {

class EpochSource {
 public:
  EpochSource(const ExampleBuilder* builder, const std::vector<Triplet>* rows, const DataOptions& options,
              uint64_t seed);

  //! The examples of `epoch`, in a fixed order.
  std::vector<Example> Examples(int epoch) const;
  //! How many examples every epoch holds (the same for all epochs).
  size_t size() const;

 private:
  const ExampleBuilder* builder_;
  const std::vector<Triplet>* rows_;
  DataOptions options_;
  uint64_t seed_;
  std::vector<Example> base_;
  CopyAugmenter augmenter_;
};

}  // namespace capsfusion::train
