// Horizontal sums of 8-float vectors in one fixed order, shared by the AVX2 and
// AVX-512 kernel files (include it only from files compiled for AVX2 or more).
//
// Every lane set is summed as ((v0+v1)+(v2+v3)) + ((v4+v5)+(v6+v7)), whether a
// vector is reduced alone or together with others, so an output element gets
// the same bits whichever tile shape computed it.
#pragma once

#include <immintrin.h>

#define CF_REDUCE_INLINE __attribute__((target("avx2,fma,f16c"), always_inline)) inline

namespace capsfusion::engine {
namespace simd {

//! The sums of a, b, c and d, in that order.
CF_REDUCE_INLINE __m128 Reduce4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);      // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);  // a0123 b0123 c0123 d0123 | a4567 ...
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

}  // namespace simd

//! out[i] = sum of the lanes of v[i] for i < N; out needs room for N rounded
//! up to a multiple of 4 (the padding slots repeat the last sum).
template <int N>
CF_REDUCE_INLINE void ReduceMany(const __m256* v, float* out) {
#pragma GCC unroll 8
  for (int i = 0; i < N; i += 4) {
    const __m256 a = v[i];
    const __m256 b = v[i + 1 < N ? i + 1 : N - 1];
    const __m256 c = v[i + 2 < N ? i + 2 : N - 1];
    const __m256 d = v[i + 3 < N ? i + 3 : N - 1];
    _mm_storeu_ps(out + i, simd::Reduce4(a, b, c, d));
  }
}

}  // namespace capsfusion::engine
