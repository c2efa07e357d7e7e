#include "report/histograms.h"

#include <algorithm>
#include <cmath>

namespace capsfusion::report {

void CountHistogram::Add(uint64_t value) {
  if (value < kDense) {
    if (dense_.size() <= value) dense_.resize(std::min<size_t>(kDense, std::max<size_t>(64, value * 2 + 1)), 0);
    ++dense_[value];
  } else {
    ++sparse_[value];
  }
  ++count_;
  sum_ += value;
}

void CountHistogram::Merge(const CountHistogram& other) {
  if (dense_.size() < other.dense_.size()) dense_.resize(other.dense_.size(), 0);
  for (size_t v = 0; v < other.dense_.size(); ++v) dense_[v] += other.dense_[v];
  for (const auto& [v, c] : other.sparse_) sparse_[v] += c;
  count_ += other.count_;
  sum_ += other.sum_;
}

uint64_t CountHistogram::min() const {
  for (size_t v = 0; v < dense_.size(); ++v) {
    if (dense_[v]) return v;
  }
  return sparse_.empty() ? 0 : sparse_.begin()->first;
}

uint64_t CountHistogram::max() const {
  if (!sparse_.empty()) return sparse_.rbegin()->first;
  for (size_t v = dense_.size(); v-- > 0;) {
    if (dense_[v]) return v;
  }
  return 0;
}

uint64_t CountHistogram::CountOf(uint64_t value) const {
  if (value < dense_.size()) return dense_[value];
  auto it = sparse_.find(value);
  return it == sparse_.end() ? 0 : it->second;
}

uint64_t CountHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::max<uint64_t>(1, std::min(rank, count_));
  uint64_t seen = 0;
  for (size_t v = 0; v < dense_.size(); ++v) {
    seen += dense_[v];
    if (seen >= rank) return v;
  }
  for (const auto& [v, c] : sparse_) {
    seen += c;
    if (seen >= rank) return v;
  }
  return max();
}

std::vector<Bin> LengthBins(const CountHistogram& h, size_t max_bins) {
  std::vector<Bin> bins;
  if (h.count() == 0 || max_bins == 0) return bins;
  const uint64_t lo = h.min();
  uint64_t hi = h.Percentile(99);
  const uint64_t top = h.max();
  if (top <= hi + hi / 4 + 2) hi = top;  // nothing far out: show everything
  const uint64_t span = hi - lo + 1;
  const uint64_t width = (span + max_bins - 1) / max_bins;
  for (uint64_t start = lo; start <= hi; start += width) {
    Bin b;
    b.lo = static_cast<double>(start);
    b.hi = static_cast<double>(start + width);
    for (uint64_t v = start; v < start + width && v <= hi; ++v) b.count += h.CountOf(v);
    bins.push_back(b);
  }
  if (hi < top) {
    // Everything above the range goes into the last bar.
    uint64_t in_range = 0;
    for (const Bin& b : bins) in_range += b.count;
    const uint64_t above = h.count() - in_range;
    bins.back().count += above;
    bins.back().hi = static_cast<double>(top) + 1;
  }
  return bins;
}

void RangeHistogram::Add(double value) {
  if (!std::isfinite(value)) {
    ++invalid_;
    return;
  }
  if (count_ == 0) {
    min_ = max_ = value;
    if (value < 0 || value >= 1) {
      // Start with a range around the first value.
      double w = std::max(1.0, std::fabs(value));
      lo_ = std::floor(value / w) * w;
      hi_ = lo_ + 2 * w;
    }
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  while (value < lo_ || value >= hi_) Widen(value);
  size_t b = static_cast<size_t>((value - lo_) / (hi_ - lo_) * kBins);
  ++bins_[std::min(b, kBins - 1)];
  ++count_;
  sum_ += value;
}

void RangeHistogram::Widen(double value) {
  const double w = hi_ - lo_;
  std::vector<uint64_t> merged(kBins, 0);
  if (value >= hi_) {
    // [lo, lo + 2w): old bins pair up into the lower half.
    for (size_t i = 0; i < kBins; ++i) merged[i / 2] += bins_[i];
    hi_ = lo_ + 2 * w;
  } else {
    // [hi - 2w, hi): old bins pair up into the upper half.
    for (size_t i = 0; i < kBins; ++i) merged[kBins / 2 + i / 2] += bins_[i];
    lo_ = hi_ - 2 * w;
  }
  bins_.swap(merged);
}

std::vector<Bin> RangeHistogram::Bins() const {
  std::vector<Bin> out;
  if (count_ == 0) return out;
  size_t first = 0, last = kBins;
  while (first < kBins && bins_[first] == 0) ++first;
  while (last > first && bins_[last - 1] == 0) --last;
  const double step = (hi_ - lo_) / kBins;
  for (size_t i = first; i < last; ++i) out.push_back(Bin{lo_ + step * i, lo_ + step * (i + 1), bins_[i]});
  return out;
}

}  // namespace capsfusion::report
