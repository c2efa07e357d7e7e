#include "engine/vec_exp.h"

// GCC 12's AVX-512 headers initialise placeholder operands from themselves,
// which -Wall reports at every inlined use; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <algorithm>
#include <cmath>

#include "engine/cpu_features.h"

namespace capsfusion::engine {

namespace {

float MaxGeneric(const float* x, int64_t n) {
  float m = x[0];
  for (int64_t i = 1; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

double SumExpGeneric(const float* x, int64_t n, float shift) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(x[i]) - shift);
  return s;
}

__attribute__((target("avx512f"))) float Max512(const float* x, int64_t n) {
  __m512 m = _mm512_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(x + i));
  alignas(64) float l[16];
  _mm512_store_ps(l, m);
  float r = l[0];
  for (int k = 1; k < 16; ++k) r = std::max(r, l[k]);
  for (; i < n; ++i) r = std::max(r, x[i]);
  return r;
}

__attribute__((target("avx512f"))) double SumExp512(const float* x, int64_t n, float shift) {
  const __m512 sh = _mm512_set1_ps(shift);
  double total = 0;
  int64_t i = 0;
  // Float lanes over at most 4096 elements at a time, then into the double total.
  while (i + 16 <= n) {
    __m512 acc = _mm512_setzero_ps();
    const int64_t stop = std::min(n, i + 4096);
    for (; i + 16 <= stop; i += 16) acc = _mm512_add_ps(acc, Exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), sh)));
    alignas(64) float l[16];
    _mm512_store_ps(l, acc);
    for (float v : l) total += v;
  }
  for (; i < n; ++i) total += std::exp(static_cast<double>(x[i]) - shift);
  return total;
}

__attribute__((target("avx2,fma,f16c"))) double SumExp256(const float* x, int64_t n, float shift) {
  const __m256 sh = _mm256_set1_ps(shift);
  double total = 0;
  int64_t i = 0;
  while (i + 8 <= n) {
    __m256 acc = _mm256_setzero_ps();
    const int64_t stop = std::min(n, i + 4096);
    for (; i + 8 <= stop; i += 8) acc = _mm256_add_ps(acc, Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), sh)));
    alignas(32) float l[8];
    _mm256_store_ps(l, acc);
    for (float v : l) total += v;
  }
  for (; i < n; ++i) total += std::exp(static_cast<double>(x[i]) - shift);
  return total;
}

int Level() {
  static const int level = [] {
    const CpuFeatures& c = DetectCpu();
    if (c.avx512f && c.avx2 && c.fma && c.f16c) return 2;
    if (c.avx2 && c.fma && c.f16c) return 1;
    return 0;
  }();
  return level;
}

}  // namespace

float MaxOf(const float* x, int64_t n) { return Level() == 2 ? Max512(x, n) : MaxGeneric(x, n); }

double SumExp(const float* x, int64_t n, float shift) {
  switch (Level()) {
    case 2: return SumExp512(x, n, shift);
    case 1: return SumExp256(x, n, shift);
    default: return SumExpGeneric(x, n, shift);
  }
}

}  // namespace capsfusion::engine
