// AVX-512 VNNI MatMul tiles for Q4_0 and Q8_0 weights against Q8_0 activations.
//
// Layout "rows in lanes": a ymm holds one int32 per weight row, 8 rows at a
// time. For block b, the rows' codes are transposed so that vector p holds the
// 4 codes of elements 4p..4p+3 of each row; one vpdpbusd with the activation
// dword p broadcast ({1to8}) then adds 4 products per row. Eight of them give
// the exact integer block dot product I_b of 8 rows at once.
//
// Per output element the arithmetic is therefore: I_b exact, then
//   acc = fma(float(I_b), d_w,b * d_x,b, acc)   for b = 0, 1, ..., nb - 1
// in float, starting from 0. Every tile shape follows exactly this sequence, so
// results do not depend on the batch size or the thread count.
//
// Codes are unsigned: Q4_0 nibbles 0..15, Q8_0 codes xor 0x80 (= code + 128);
// the integer sum starts at the bias -8 * sum(q) or -128 * sum(q) (act_quant.h),
// which makes I_b = sum((u - offset) * q) exactly.
//
// A single token (decoding) transposes the codes on the fly. Batches first
// repack a chunk of blocks of 8 rows into a small per-thread buffer and reuse it
// for every token of the tile, so a block costs 8 vpdpbusd + 3 float ops per 8
// (row, token) pairs.
#include "engine/quant_tiles_avx512.h"
#include "engine/quant_avx512_inl.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#define CF_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define CF_INLINE CF_TARGET inline __attribute__((always_inline))

namespace capsfusion::engine {
namespace {

using namespace avx512q;  // NOLINT: the building blocks of this file

//! Blocks per chunk (the repack buffer holds one chunk of 8 rows).
constexpr int64_t kChunk = 64;
//! Tokens computed together from one repacked chunk.
constexpr int kTokenTile = 4;

//! Per-thread buffers.
struct alignas(64) QuantScratch {
  __m256 dwT[kChunk];
  __m256i codes[kChunk][8];
};


//! One token, 8 rows [r, r + nr): codes transposed on the fly.
template <bool kQ4>
CF_TARGET void GroupOneToken(const MatMulTask& k, const uint8_t* const* w, int64_t r, int64_t nr, int64_t t,
                             QuantScratch& s) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  constexpr int32_t kOffset = kQ4 ? -8 : -128;
  const int64_t nb = k.qa.nb;
  const int8_t* xq = k.qa.q + t * nb * 32;
  const int32_t* xs = k.qa.qsum + t * nb;
  const float* xd = k.qa.d + t * nb;
  __m256 acc = _mm256_setzero_ps();
  // Rows of a few hundred bytes are too short for the hardware prefetchers: fetch
  // the next group of 8 rows (which follows this one in memory) at the rate this
  // one is consumed, 2 blocks x 8 rows per step.
  uintptr_t pf = reinterpret_cast<uintptr_t>(k.w) + static_cast<uintptr_t>((r + 8) * k.row_bytes);
  for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
    const int64_t n = std::min(kChunk, nb - c0);
    GroupScales<kQ4>(w, c0 * kBytes, n, s.dwT);
    int64_t b = 0;
    for (; b + 2 <= n; b += 2) {
      const int64_t gb = c0 + b;
#pragma GCC unroll 9
      for (int64_t line = 0; line < 16 * kBytes; line += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(pf + line), _MM_HINT_T1);
      }
      pf += 16 * kBytes;
      __m256i P0[8], P1[8];
      BlockCodes<kQ4, true>(w, gb * kBytes, P0);
      BlockCodes<kQ4, true>(w, (gb + 1) * kBytes, P1);
      const __m256i i0 = BlockSum<kQ4>(P0, xq + gb * 32, kOffset * xs[gb]);
      const __m256i i1 = BlockSum<kQ4>(P1, xq + gb * 32 + 32, kOffset * xs[gb + 1]);
      const __m256 s0 = _mm256_mul_ps(s.dwT[b], _mm256_set1_ps(xd[gb]));
      const __m256 s1 = _mm256_mul_ps(s.dwT[b + 1], _mm256_set1_ps(xd[gb + 1]));
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), s0, acc);
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i1), s1, acc);
    }
    if (b < n) {
      const int64_t gb = c0 + b;
      __m256i P[8];
      BlockCodes<kQ4, true>(w, gb * kBytes, P);
      const __m256i i0 = BlockSum<kQ4>(P, xq + gb * 32, kOffset * xs[gb]);
      acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), _mm256_mul_ps(s.dwT[b], _mm256_set1_ps(xd[gb])), acc);
    }
  }
  Store8(k.y + t * k.rows + r, acc, nr);
}

//! Tokens [t0, t1) (at most kTokenTile), 8 rows [r, r + nr), from the repacked
//! chunk [c0, c0 + n); acc is read from y unless this is the first chunk.
template <int T, bool kQ4>
CF_TARGET void GroupTokensFromChunk(const MatMulTask& k, int64_t r, int64_t nr, int64_t t0, int64_t c0, int64_t n,
                                    const QuantScratch& s) {
  constexpr int32_t kOffset = kQ4 ? -8 : -128;
  const int64_t nb = k.qa.nb;
  __m256 acc[T];
  const int8_t* xq[T];
  const int32_t* xs[T];
  const float* xd[T];
#pragma GCC unroll 8
  for (int j = 0; j < T; ++j) {
    const int64_t t = t0 + j;
    xq[j] = k.qa.q + t * nb * 32 + c0 * 32;
    xs[j] = k.qa.qsum + t * nb + c0;
    xd[j] = k.qa.d + t * nb + c0;
    float* y = k.y + t * k.rows + r;
    if (c0 == 0) {
      acc[j] = _mm256_setzero_ps();
    } else {
      acc[j] = nr >= 8 ? _mm256_loadu_ps(y) : _mm256_maskz_loadu_ps(static_cast<__mmask8>((1u << nr) - 1), y);
    }
  }
  for (int64_t b = 0; b < n; ++b) {
    const __m256i* P = s.codes[b];
    const __m256 dw = s.dwT[b];
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) {
      const __m256i isum = BlockSum<false>(P, xq[j] + b * 32, kOffset * xs[j][b]);
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(dw, _mm256_set1_ps(xd[j][b])), acc[j]);
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < T; ++j) Store8(k.y + (t0 + j) * k.rows + r, acc[j], nr);
}

template <bool kQ4>
CF_TARGET void Tile(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  thread_local QuantScratch s;
  const int64_t nb = k.qa.nb;
  for (int64_t r = r0; r < r1; r += 8) {
    const int64_t nr = std::min<int64_t>(8, r1 - r);
    const uint8_t* w[8];
    for (int i = 0; i < 8; ++i) w[i] = k.w + (r + std::min<int64_t>(i, nr - 1)) * k.row_bytes;
    if (t1 - t0 == 1) {
      GroupOneToken<kQ4>(k, w, r, nr, t0, s);
      continue;
    }
    for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
      const int64_t n = std::min(kChunk, nb - c0);
      GroupScales<kQ4>(w, c0 * kBytes, n, s.dwT);
      for (int64_t b = 0; b < n; ++b) BlockCodes<kQ4, false>(w, (c0 + b) * kBytes, s.codes[b]);
      int64_t t = t0;
      for (; t + kTokenTile <= t1; t += kTokenTile) GroupTokensFromChunk<kTokenTile, kQ4>(k, r, nr, t, c0, n, s);
      switch (t1 - t) {
        case 1: GroupTokensFromChunk<1, kQ4>(k, r, nr, t, c0, n, s); break;
        case 2: GroupTokensFromChunk<2, kQ4>(k, r, nr, t, c0, n, s); break;
        case 3: GroupTokensFromChunk<3, kQ4>(k, r, nr, t, c0, n, s); break;
        default: break;
      }
    }
  }
}

}  // namespace

void Avx512MatMulQ4_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  Tile<true>(k, r0, r1, t0, t1);
}

void Avx512MatMulQ8_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  Tile<false>(k, r0, r1, t0, t1);
}

}  // namespace capsfusion::engine
