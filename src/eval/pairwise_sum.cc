#include "eval/pairwise_sum.h"

namespace capsfusion::eval {

double PairwiseSum(const double* a, size_t n) {
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    const size_t whole = n - n % 8;
    for (; i < whole; i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return PairwiseSum(a, half) + PairwiseSum(a + half, n - half);
}

double NumpyMean(const std::vector<double>& values) {
  if (values.empty()) return 0.0;
  return PairwiseSum(values.data(), values.size()) / static_cast<double>(values.size());
}

}  // namespace capsfusion::eval
