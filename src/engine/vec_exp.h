// Vectorised exp for softmax-like reductions, shared by attention and the
// samplers: a Cephes-style single precision exp (2^n * P(r), about 1 ulp on
// the inputs <= 0 that max-subtracted softmax produces; inputs below -87.3 give
// 0), and the reductions built on it, dispatched to AVX-512, AVX2 or plain
// code at run time.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace capsfusion::engine {

//! Largest of x[0..n) (n >= 1).
float MaxOf(const float* x, int64_t n);
//! sum_i exp(x[i] - shift), accumulated in double across vector lanes.
double SumExp(const float* x, int64_t n, float shift);
//! x[i] = x[i] - a, then x[i] = x[i] + b when add_b: each step rounded to
//! float as the plain loops are (a log-softmax's normalisation and an offset).
void SubtractThenAdd(float* x, int64_t n, float a, bool add_b, float b);
//! sum_i exp(double(x[i] - shift)) (the difference taken in float) with every
//! exp and add in double precision: within about 1e-15 of the sequential sum
//! of std::exp, where SumExp's float exp is within about 1e-7. Terms below
//! exp(-708) count as 0.
double SumExpPrecise(const float* x, int64_t n, float shift);

// The vector exp itself, inlined into the callers' SIMD loops.
// Cephes-style single precision exp: 2^n * P(r), |error| ~ 1 ulp on the
// range softmax needs (inputs <= 0); values below -87.3 give 0.
namespace exp_coeffs {
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kC1 = 0.693359375f;
constexpr float kC2 = -2.12194440e-4f;
constexpr float kP0 = 1.9875691500e-4f;
constexpr float kP1 = 1.3981999507e-3f;
constexpr float kP2 = 8.3334519073e-3f;
constexpr float kP3 = 4.1665795894e-2f;
constexpr float kP4 = 1.6666665459e-1f;
constexpr float kP5 = 5.0000001201e-1f;
}  // namespace exp_coeffs

__attribute__((target("avx512f"))) inline __m512 Exp512(__m512 x) {
  using namespace exp_coeffs;
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kC1), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kC2), r);
  __m512 p = _mm512_set1_ps(kP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kP5));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  const __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
  return _mm512_mask_blend_ps(tiny, y, _mm512_setzero_ps());
}

__attribute__((target("avx2,fma,f16c"))) inline __m256 Exp256(__m256 x) {
  using namespace exp_coeffs;
  const __m256 tiny = _mm256_cmp_ps(x, _mm256_set1_ps(-87.3f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kC1), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(kC2), r);
  __m256 p = _mm256_set1_ps(kP0);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP1));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP2));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP3));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP4));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP5));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_blendv_ps(y, _mm256_setzero_ps(), tiny);
}

}  // namespace capsfusion::engine
