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

double SumExpPreciseGeneric(const float* x, int64_t n, float shift) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += std::exp(static_cast<double>(x[i] - shift));
  return s;
}

//! exp of 8 doubles: x = k ln2 + r with |r| <= ln2 / 2 (ln2 in two parts),
//! exp(r) by its Taylor series to r^13 (truncation below 1e-17 relative),
//! then scaled by 2^k. Inputs below -708 (and -inf) give 0, NaN stays NaN.
__attribute__((target("avx512f"))) inline __m512d ExpPd512(__m512d x) {
  const __mmask8 tiny = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-708.0), _CMP_LT_OQ);
  const __m512d xc = _mm512_max_pd(_mm512_set1_pd(-708.0), x);  // NaN passes through
  const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(xc, _mm512_set1_pd(1.4426950408889634)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(6.93147180369123816490e-01), xc);
  r = _mm512_fnmadd_pd(k, _mm512_set1_pd(1.90821492927058770002e-10), r);
  // 1/13!, 1/12!, ..., 1/2!, 1, 1 (Horner).
  static constexpr double kInvFact[] = {1.6059043836821613e-10, 2.08767569878681e-09, 2.505210838544172e-08,
                                        2.755731922398589e-07,  2.7557319223985893e-06, 2.48015873015873e-05,
                                        1.984126984126984e-04,  1.388888888888889e-03, 8.333333333333333e-03,
                                        4.1666666666666664e-02, 1.6666666666666666e-01, 0.5, 1.0, 1.0};
  __m512d p = _mm512_set1_pd(kInvFact[0]);
  for (int i = 1; i < 14; ++i) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(kInvFact[i]));
  const __m512d y = _mm512_scalef_pd(p, k);
  return _mm512_mask_blend_pd(tiny, y, _mm512_setzero_pd());
}

__attribute__((target("avx512f"))) double SumExpPrecise512(const float* x, int64_t n, float shift) {
  const __m512 sh = _mm512_set1_ps(shift);
  __m512d acc0 = _mm512_setzero_pd(), acc1 = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + i), sh);
    acc0 = _mm512_add_pd(acc0, ExpPd512(_mm512_cvtps_pd(_mm512_castps512_ps256(d))));
    acc1 = _mm512_add_pd(acc1, ExpPd512(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(d), 1)))));
  }
  alignas(64) double l[8];
  _mm512_store_pd(l, _mm512_add_pd(acc0, acc1));
  double total = 0;
  for (double v : l) total += v;
  for (; i < n; ++i) total += std::exp(static_cast<double>(x[i] - shift));
  return total;
}

void SubtractThenAddGeneric(float* x, int64_t n, float a, bool add_b, float b) {
  for (int64_t i = 0; i < n; ++i) {
    x[i] -= a;
    if (add_b) x[i] += b;
  }
}

__attribute__((target("avx512f"))) void SubtractThenAdd512(float* x, int64_t n, float a, bool add_b, float b) {
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512 v = _mm512_sub_ps(_mm512_loadu_ps(x + i), va);
    if (add_b) v = _mm512_add_ps(v, vb);
    _mm512_storeu_ps(x + i, v);
  }
  SubtractThenAddGeneric(x + i, n - i, a, add_b, b);
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

void SubtractThenAdd(float* x, int64_t n, float a, bool add_b, float b) {
  if (Level() == 2) {
    SubtractThenAdd512(x, n, a, add_b, b);
  } else {
    SubtractThenAddGeneric(x, n, a, add_b, b);
  }
}

double SumExpPrecise(const float* x, int64_t n, float shift) {
  return Level() == 2 ? SumExpPrecise512(x, n, shift) : SumExpPreciseGeneric(x, n, shift);
}

}  // namespace capsfusion::engine
