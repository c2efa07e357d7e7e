#include "engine/attention_group.h"

// GCC 12's AVX-512 headers initialise placeholder operands from themselves,
// which -Wall reports at every inlined use; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>

#include "engine/kv_elements.h"

namespace capsfusion::engine {
namespace {

#define CF_GROUP_TARGET __attribute__((target("avx512f")))

constexpr int kBlock = 16;

template <typename T>
inline const T* As(const uint8_t* p) {
  return reinterpret_cast<const T*>(p);
}

//! Scores of one block for one query, two chains (even and odd dims).
template <typename T>
CF_GROUP_TARGET void ScoreBlock2(const float* q, const T* k, int hd, float* s) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  int d = 0;
  for (; d + 2 <= hd; d += 2) {
    a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k + d * kBlock), a0);
    a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), LoadKv16(k + d * kBlock + kBlock), a1);
  }
  for (; d < hd; ++d) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k + d * kBlock), a0);
  _mm512_storeu_ps(s, _mm512_add_ps(a0, a1));
}

//! Scores of one block for one query, four chains (dims mod 4): the last block
//! of an odd block count.
template <typename T>
CF_GROUP_TARGET void ScoreBlock4(const float* q, const T* k, int hd, float* s) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  int d = 0;
  for (; d + 4 <= hd; d += 4) {
    a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k + d * kBlock), a0);
    a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), LoadKv16(k + d * kBlock + kBlock), a1);
    a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), LoadKv16(k + d * kBlock + 2 * kBlock), a2);
    a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), LoadKv16(k + d * kBlock + 3 * kBlock), a3);
  }
  for (; d < hd; ++d) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k + d * kBlock), a0);
  _mm512_storeu_ps(s, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

//! ScoreBlock2 for NQ queries at once: each key row converted once.
template <typename T, int NQ>
CF_GROUP_TARGET void ScoreBlock2Joint(const GroupQuery* qs, const T* k, int j, int hd) {
  __m512 a0[NQ], a1[NQ];
#pragma GCC unroll 6
  for (int i = 0; i < NQ; ++i) a0[i] = a1[i] = _mm512_setzero_ps();
  int d = 0;
  for (; d + 2 <= hd; d += 2) {
    const __m512 k0 = LoadKv16(k + d * kBlock), k1 = LoadKv16(k + d * kBlock + kBlock);
#pragma GCC unroll 6
    for (int i = 0; i < NQ; ++i) {
      a0[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i].q[d]), k0, a0[i]);
      a1[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i].q[d + 1]), k1, a1[i]);
    }
  }
  for (; d < hd; ++d) {
    const __m512 k0 = LoadKv16(k + d * kBlock);
#pragma GCC unroll 6
    for (int i = 0; i < NQ; ++i) a0[i] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i].q[d]), k0, a0[i]);
  }
#pragma GCC unroll 6
  for (int i = 0; i < NQ; ++i) _mm512_storeu_ps(qs[i].scores + j * kBlock, _mm512_add_ps(a0[i], a1[i]));
}

//! Rows [0, 16) of shared blocks [0, jf), dims [d0, d0 + 16), into the four
//! chains of each of NQ queries: each value row converted once.
template <typename T, int NQ>
CF_GROUP_TARGET void AccumulateJoint(const GroupQuery* qs, int jf, int hd, int d0, __m512 (*acc)[4]) {
  __m512 a[NQ][4];
#pragma GCC unroll 6
  for (int i = 0; i < NQ; ++i) {
    for (int u = 0; u < 4; ++u) a[i][u] = acc[i][u];
  }
  for (int j = 0; j < jf; ++j) {
    const T* vb = As<T>(qs[0].v[j]) + d0;
    for (int r = 0; r < kBlock; r += 4) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; ++u) {
        const __m512 v = LoadKv16(vb + static_cast<size_t>(r + u) * hd);
#pragma GCC unroll 6
        for (int i = 0; i < NQ; ++i) {
          a[i][u] = _mm512_fmadd_ps(_mm512_set1_ps(qs[i].scores[j * kBlock + r + u]), v, a[i][u]);
        }
      }
    }
  }
#pragma GCC unroll 6
  for (int i = 0; i < NQ; ++i) {
    for (int u = 0; u < 4; ++u) acc[i][u] = a[i][u];
  }
}

//! One query's blocks [j0, blocks(n)) into its four chains (dims [d0, d0 + 16)).
template <typename T>
CF_GROUP_TARGET void AccumulateRest(const GroupQuery& q, int j0, int hd, int d0, __m512* acc) {
  for (int j = j0; j * kBlock < q.n; ++j) {
    const T* vb = As<T>(q.v[j]) + d0;
    const int rows = std::min(kBlock, q.n - j * kBlock);
    const float* p = q.scores + j * kBlock;
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
      for (int u = 0; u < 4; ++u) {
        acc[u] = _mm512_fmadd_ps(_mm512_set1_ps(p[r + u]), LoadKv16(vb + static_cast<size_t>(r + u) * hd), acc[u]);
      }
    }
    for (; r < rows; ++r) {
      acc[0] = _mm512_fmadd_ps(_mm512_set1_ps(p[r]), LoadKv16(vb + static_cast<size_t>(r) * hd), acc[0]);
    }
  }
}

template <typename T, int NQ>
CF_GROUP_TARGET void Attend(const GroupQuery* qs, int shared, int hd, float (*exp_normalise)(float*, int)) {
  int nb[NQ];
  int min_full = 1 << 30;
  for (int i = 0; i < NQ; ++i) {
    nb[i] = (qs[i].n + kBlock - 1) / kBlock;
    min_full = std::min(min_full, qs[i].n / kBlock);
  }
  // Scores: the shared blocks together, the others (and each query's odd last
  // block, which has its own chain layout) one query at a time.
  for (int j = 0; j < shared; ++j) ScoreBlock2Joint<T, NQ>(qs, As<T>(qs[0].k[j]), j, hd);
  for (int i = 0; i < NQ; ++i) {
    const int odd_last = nb[i] % 2 == 1 ? nb[i] - 1 : -1;
    for (int j = shared; j < nb[i]; ++j) {
      if (j != odd_last) ScoreBlock2(qs[i].q, As<T>(qs[i].k[j]), hd, qs[i].scores + j * kBlock);
    }
    if (odd_last >= 0) ScoreBlock4(qs[i].q, As<T>(qs[i].k[odd_last]), hd, qs[i].scores + odd_last * kBlock);
  }
  float inv_sum[NQ];
  for (int i = 0; i < NQ; ++i) inv_sum[i] = 1.0f / exp_normalise(qs[i].scores, qs[i].n);

  // Values: the full shared blocks together, then each query's own.
  const int jf = std::min(shared, min_full);
  for (int d0 = 0; d0 < hd; d0 += kBlock) {
    __m512 acc[NQ][4];
    for (int i = 0; i < NQ; ++i) {
      for (int u = 0; u < 4; ++u) acc[i][u] = _mm512_setzero_ps();
    }
    AccumulateJoint<T, NQ>(qs, jf, hd, d0, acc);
    for (int i = 0; i < NQ; ++i) {
      AccumulateRest<T>(qs[i], jf, hd, d0, acc[i]);
      __m512 t = acc[i][0];
      for (int u = 1; u < 4; ++u) t = _mm512_add_ps(t, acc[i][u]);
      _mm512_storeu_ps(qs[i].out + d0, _mm512_mul_ps(t, _mm512_set1_ps(inv_sum[i])));
    }
  }
}

}  // namespace

template <typename T>
void AttendGroup512(const GroupQuery* queries, int nq, int shared, int head_dim,
                    float (*exp_normalise)(float* s, int n)) {
  switch (nq) {
    case 1: Attend<T, 1>(queries, shared, head_dim, exp_normalise); break;
    case 2: Attend<T, 2>(queries, shared, head_dim, exp_normalise); break;
    case 3: Attend<T, 3>(queries, shared, head_dim, exp_normalise); break;
    case 4: Attend<T, 4>(queries, shared, head_dim, exp_normalise); break;
    case 5: Attend<T, 5>(queries, shared, head_dim, exp_normalise); break;
    case 6: Attend<T, 6>(queries, shared, head_dim, exp_normalise); break;
    default: break;
  }
}

template void AttendGroup512<uint16_t>(const GroupQuery*, int, int, int, float (*)(float*, int));
template void AttendGroup512<float>(const GroupQuery*, int, int, int, float (*)(float*, int));

}  // namespace capsfusion::engine
