// Streaming histograms for the stats report: CountHistogram for small
// non-negative integers (caption lengths), RangeHistogram for real values of
// unknown range (per-row metrics). Both use memory independent of the number
// of values. Internal to src/report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace capsfusion::report {

//! Exact counts of non-negative integers.
class CountHistogram {
 public:
  void Add(uint64_t value);
  //! Adds every value of `other`.
  void Merge(const CountHistogram& other);
  uint64_t count() const { return count_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  uint64_t sum() const { return sum_; }
  uint64_t min() const;
  uint64_t max() const;
  //! Nearest rank: the smallest v with at least ceil(p/100 * count) values <= v; 0 when empty.
  uint64_t Percentile(double p) const;
  //! How many values equal `value`.
  uint64_t CountOf(uint64_t value) const;

 private:
  static constexpr size_t kDense = 2048;
  std::vector<uint64_t> dense_;
  std::map<uint64_t, uint64_t> sparse_;  // values from kDense on
  uint64_t count_ = 0, sum_ = 0;
};

//! One bar of a chart: the values in [lo, hi).
struct Bin {
  double lo = 0, hi = 0;
  uint64_t count = 0;
};

//! Integer bins for `h` from its min to its p99 (or max when that is close),
//! at most `max_bins` bars, each an integer-width range; the last bar holds
//! every value above the range.
std::vector<Bin> LengthBins(const CountHistogram& h, size_t max_bins);

//! A fixed number of equal bins over a range that widens (merging bins) as
//! values fall outside it. NaN and infinities are counted apart.
class RangeHistogram {
 public:
  static constexpr size_t kBins = 20;
  void Add(double value);
  uint64_t count() const { return count_; }
  uint64_t invalid() const { return invalid_; }
  double mean() const { return count_ ? sum_ / count_ : 0.0; }
  double min() const { return min_; }
  double max() const { return max_; }
  //! The bins, trimmed of empty ones at both ends.
  std::vector<Bin> Bins() const;

 private:
  void Widen(double value);
  std::vector<uint64_t> bins_ = std::vector<uint64_t>(kBins, 0);
  double lo_ = 0, hi_ = 1;
  uint64_t count_ = 0, invalid_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

}  // namespace capsfusion::report
