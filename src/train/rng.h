// A small, portable random generator for everything in the trainer that must
// be reproducible from a seed (data order, augmentation, splits), independent
// of the standard library's distribution algorithms.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace capsfusion::train {

//! SplitMix64: a 64-bit state, good statistical quality, trivially seekable.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  //! A generator for a sub-stream: the same (seed, a, b) always gives the same stream.
  static Rng For(uint64_t seed, uint64_t a, uint64_t b = 0) {
    Rng r(seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full));
    r.Next();
    return r;
  }

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  //! Uniform in [0, n); n > 0.
  uint64_t Uniform(uint64_t n) { return Next() % n; }
  //! Uniform in [0, 1).
  double UniformReal() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }

  //! Fisher-Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>* v) {
    for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[Uniform(i)]);
  }

 private:
  uint64_t state_;
};

}  // namespace capsfusion::train
