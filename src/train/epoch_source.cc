#include "train/epoch_source.h"

#include "train/rng.h"

namespace capsfusion::train {

EpochSource::EpochSource(const ExampleBuilder* builder, const std::vector<Triplet>* rows, const DataOptions& options,
                         uint64_t seed)
    : builder_(builder), rows_(rows), options_(options), seed_(seed), augmenter_(*rows) {
  base_.reserve(rows->size());
  for (const Triplet& t : *rows) base_.push_back(builder->Build(t));
}

size_t EpochSource::size() const {
  size_t n = base_.size() * (1 + static_cast<size_t>(std::max(0, options_.augment_copies)));
  n += static_cast<size_t>(options_.lm_fraction * static_cast<double>(base_.size()));
  return n;
}

std::vector<Example> EpochSource::Examples(int epoch) const {
  std::vector<Example> out(base_);
  out.reserve(size());
  for (int k = 0; k < options_.augment_copies; ++k) {
    for (size_t i = 0; i < rows_->size(); ++i) {
      uint64_t s = Rng::For(seed_, 0xa09 + static_cast<uint64_t>(epoch), i * 131 + static_cast<uint64_t>(k)).Next();
      out.push_back(builder_->Build(augmenter_.Augment((*rows_)[i], s)));
    }
  }
  size_t n_lm = static_cast<size_t>(options_.lm_fraction * static_cast<double>(base_.size()));
  Rng rng = Rng::For(seed_, 0x1a, static_cast<uint64_t>(epoch));
  for (size_t i = 0; i < n_lm; ++i) {
    const Triplet& t = (*rows_)[rng.Uniform(rows_->size())];
    out.push_back(builder_->BuildLm(rng.Uniform(2) == 0 ? t.target : t.synthetic));
  }
  return out;
}

}  // namespace capsfusion::train
