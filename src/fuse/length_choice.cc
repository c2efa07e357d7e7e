#include "fuse/length_choice.h"

#include <cmath>
#include <utility>

namespace capsfusion {

size_t CountWords(std::string_view text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

StatusOr<ExpectedLength> FitExpectedLength(const std::vector<LengthExample>& examples) {
  if (examples.size() < 3) {
    return Status::InvalidArgument("fitting the expected length needs at least 3 rows, got " +
                                   std::to_string(examples.size()));
  }
  // Normal equations (X'X) b = X'y with X = [1, raw, synthetic], solved by
  // Gaussian elimination with partial pivoting.
  double m[3][4] = {};
  for (const LengthExample& e : examples) {
    const double x[3] = {1.0, static_cast<double>(e[0]), static_cast<double>(e[1])};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) m[i][j] += x[i] * x[j];
      m[i][3] += x[i] * static_cast<double>(e[2]);
    }
  }
  const double scale = m[0][0];
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 3; ++r) {
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    }
    if (std::fabs(m[pivot][col]) < 1e-9 * scale) {
      return Status::InvalidArgument("fitting the expected length: the raw and synthetic lengths of the " +
                                     std::to_string(examples.size()) + " rows do not vary enough");
    }
    for (int j = 0; j < 4; ++j) std::swap(m[col][j], m[pivot][j]);
    for (int r = 0; r < 3; ++r) {
      if (r == col) continue;
      const double f = m[r][col] / m[col][col];
      for (int j = col; j < 4; ++j) m[r][j] -= f * m[col][j];
    }
  }
  ExpectedLength e;
  e.intercept = m[0][3] / m[0][0];
  e.per_raw_word = m[1][3] / m[1][1];
  e.per_synthetic_word = m[2][3] / m[2][2];
  return e;
}

bool ApplyLengthChoice(const LengthChoice& choice, std::string_view raw, std::string_view synthetic,
                       FusedCaption* caption) {
  if (!choice.enabled() || caption->alternatives.empty()) return false;
  const double want = choice.MinWords(raw, synthetic);
  const size_t n = 1 + caption->alternatives.size();
  auto text = [&](size_t k) -> std::string& { return k == 0 ? caption->text : caption->alternatives[k - 1]; };
  size_t pick = n, longest = 0, longest_words = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t words = CountWords(text(k));
    if (static_cast<double>(words) >= want) {
      pick = k;
      break;
    }
    if (words > longest_words) {
      longest = k;
      longest_words = words;
    }
  }
  if (pick == n) pick = longest;
  if (pick == 0) return false;
  // Rotate the chosen one to the front; the ones before it move back one place.
  std::string chosen = std::move(text(pick));
  for (size_t k = pick; k > 0; --k) text(k) = std::move(text(k - 1));
  caption->text = std::move(chosen);
  return true;
}

}  // namespace capsfusion
