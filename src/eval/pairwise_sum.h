// numpy's pairwise summation, so that corpus means match np.mean bit for bit.
#pragma once

#include <cstddef>
#include <vector>

namespace capsfusion::eval {

//! The sum numpy's add.reduce computes for a contiguous float64 array:
//! below 8 values a plain left-to-right sum from 0.0; up to 128 values eight
//! interleaved accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
//! followed by the leftover values; above 128 values the array is split at
//! (n/2 rounded down to a multiple of 8) and both halves are summed that way.
double PairwiseSum(const double* values, size_t n);

//! np.mean of the values: PairwiseSum / n. An empty input gives 0 (numpy
//! would give NaN with a warning).
double NumpyMean(const std::vector<double>& values);

}  // namespace capsfusion::eval
