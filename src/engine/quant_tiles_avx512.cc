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

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#define CF_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define CF_INLINE CF_TARGET inline __attribute__((always_inline))

namespace capsfusion::engine {
namespace {

constexpr int64_t kQ4Bytes = 18;
constexpr int64_t kQ8Bytes = 34;
//! Blocks per chunk (the repack buffer holds one chunk of 8 rows).
constexpr int64_t kChunk = 64;
//! Tokens computed together from one repacked chunk.
constexpr int kTokenTile = 4;

CF_INLINE __mmask64 ByteMask(int64_t n) {
  return n <= 0 ? __mmask64{0} : n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}

//! Transposes 8 rows x 4 dwords (xmm a..h) into 4 ymm: out[p] = dword p of rows 0..7.
CF_INLINE void Transpose8x4(__m128i a, __m128i b, __m128i c, __m128i d, __m128i e, __m128i f, __m128i g, __m128i h,
                            __m256i out[4]) {
  const __m256i ae = _mm256_inserti128_si256(_mm256_castsi128_si256(a), e, 1);
  const __m256i bf = _mm256_inserti128_si256(_mm256_castsi128_si256(b), f, 1);
  const __m256i cg = _mm256_inserti128_si256(_mm256_castsi128_si256(c), g, 1);
  const __m256i dh = _mm256_inserti128_si256(_mm256_castsi128_si256(d), h, 1);
  const __m256i t0 = _mm256_unpacklo_epi32(ae, bf);  // a0 b0 a1 b1 | e0 f0 e1 f1
  const __m256i t1 = _mm256_unpackhi_epi32(ae, bf);  // a2 b2 a3 b3 | e2 f2 e3 f3
  const __m256i t2 = _mm256_unpacklo_epi32(cg, dh);
  const __m256i t3 = _mm256_unpackhi_epi32(cg, dh);
  out[0] = _mm256_unpacklo_epi64(t0, t2);  // a0 b0 c0 d0 | e0 f0 g0 h0
  out[1] = _mm256_unpackhi_epi64(t0, t2);
  out[2] = _mm256_unpacklo_epi64(t1, t3);
  out[3] = _mm256_unpackhi_epi64(t1, t3);
}

CF_INLINE __m128i Load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

//! The transposed codes of one block of 8 rows (w[i] + off is the block).
//! Q4_0: kHi16 keeps the high nibbles in place (16 x the code) for p >= 4;
//! otherwise they are shifted down. Q8_0: codes + 128.
template <bool kQ4, bool kHi16>
CF_INLINE void BlockCodes(const uint8_t* const* w, int64_t off, __m256i P[8]) {
  if constexpr (kQ4) {
    __m256i R[4];
    Transpose8x4(Load128(w[0] + off + 2), Load128(w[1] + off + 2), Load128(w[2] + off + 2),
                 Load128(w[3] + off + 2), Load128(w[4] + off + 2), Load128(w[5] + off + 2),
                 Load128(w[6] + off + 2), Load128(w[7] + off + 2), R);
    const __m256i lo = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      P[p] = _mm256_and_si256(R[p], lo);
      if constexpr (kHi16) {
        P[p + 4] = _mm256_andnot_si256(lo, R[p]);
      } else {
        P[p + 4] = _mm256_and_si256(_mm256_srli_epi16(R[p], 4), lo);
      }
    }
  } else {
    __m256i lo[4], hi[4];
    Transpose8x4(Load128(w[0] + off + 2), Load128(w[1] + off + 2), Load128(w[2] + off + 2),
                 Load128(w[3] + off + 2), Load128(w[4] + off + 2), Load128(w[5] + off + 2),
                 Load128(w[6] + off + 2), Load128(w[7] + off + 2), lo);
    Transpose8x4(Load128(w[0] + off + 18), Load128(w[1] + off + 18), Load128(w[2] + off + 18),
                 Load128(w[3] + off + 18), Load128(w[4] + off + 18), Load128(w[5] + off + 18),
                 Load128(w[6] + off + 18), Load128(w[7] + off + 18), hi);
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      P[p] = _mm256_xor_si256(lo[p], flip);
      P[p + 4] = _mm256_xor_si256(hi[p], flip);
    }
  }
}

//! The fp16 scales of blocks [b0, b0 + n) (n <= 8) of one row as 8 words.
//! vpermt2w picks them out of two 64-byte loads; a short group uses masked
//! loads so nothing past the row's data is read.
template <bool kQ4>
CF_INLINE __m128i ScaleWords(const uint8_t* blocks, int64_t n) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  alignas(64) static constexpr uint16_t kIdx4[32] = {0, 9, 18, 27, 36, 45, 54, 63};
  alignas(64) static constexpr uint16_t kIdx8[32] = {0, 17, 34, 51, 68, 85, 102, 119};
  if constexpr (kQ4) {
    const __m512i idx = _mm512_load_si512(kIdx4);
    __m512i lo, hi;
    if (n == 8) {  // 8 blocks = 144 bytes cover both loads
      lo = _mm512_loadu_si512(blocks);
      hi = _mm512_loadu_si512(blocks + 64);
    } else {
      const int64_t need = (n - 1) * kBytes + 2;
      lo = _mm512_maskz_loadu_epi8(ByteMask(need), blocks);
      hi = _mm512_maskz_loadu_epi8(ByteMask(need - 64), blocks + 64);
    }
    return _mm512_castsi512_si128(_mm512_permutex2var_epi16(lo, idx, hi));
  } else {
    // Scales at word offsets 0, 17, ..., 119: the first 4 from bytes [0, 128),
    // the last 4 from bytes [128, 256) (word 68 = 64 + 4 of the second pair).
    alignas(64) static constexpr uint16_t kIdxB[32] = {0, 0, 0, 0, 4, 21, 38, 55};
    const __m512i idx_a = _mm512_load_si512(kIdx8);
    const __m512i idx_b = _mm512_load_si512(kIdxB);
    __m512i l0, l1, l2, l3;
    if (n == 8) {  // 8 blocks = 272 bytes cover all four loads
      l0 = _mm512_loadu_si512(blocks);
      l1 = _mm512_loadu_si512(blocks + 64);
      l2 = _mm512_loadu_si512(blocks + 128);
      l3 = _mm512_loadu_si512(blocks + 192);
    } else {
      const int64_t need = (n - 1) * kBytes + 2;
      l0 = _mm512_maskz_loadu_epi8(ByteMask(need), blocks);
      l1 = _mm512_maskz_loadu_epi8(ByteMask(need - 64), blocks + 64);
      l2 = _mm512_maskz_loadu_epi8(ByteMask(need - 128), blocks + 128);
      l3 = _mm512_maskz_loadu_epi8(ByteMask(need - 192), blocks + 192);
    }
    const __m512i a = _mm512_permutex2var_epi16(l0, idx_a, l1);  // words 0..3 valid
    const __m512i b = _mm512_permutex2var_epi16(l2, idx_b, l3);  // words 4..7 valid
    return _mm512_castsi512_si128(_mm512_mask_mov_epi16(a, 0xf0, b));
  }
}

//! dwT[b] = the weight scales of block b of the 8 rows, as floats, for
//! b in [0, n) of the chunk starting at byte offset `off`.
template <bool kQ4>
CF_TARGET void GroupScales(const uint8_t* const* w, int64_t off, int64_t n, __m256* dwT) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  for (int64_t b = 0; b < n; b += 8) {
    const int64_t m = std::min<int64_t>(8, n - b);
    __m128i W[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) W[i] = ScaleWords<kQ4>(w[i] + off + b * kBytes, m);
    // 8 x 8 transpose of 16-bit words.
    const __m128i s0 = _mm_unpacklo_epi16(W[0], W[1]), s1 = _mm_unpackhi_epi16(W[0], W[1]);
    const __m128i s2 = _mm_unpacklo_epi16(W[2], W[3]), s3 = _mm_unpackhi_epi16(W[2], W[3]);
    const __m128i s4 = _mm_unpacklo_epi16(W[4], W[5]), s5 = _mm_unpackhi_epi16(W[4], W[5]);
    const __m128i s6 = _mm_unpacklo_epi16(W[6], W[7]), s7 = _mm_unpackhi_epi16(W[6], W[7]);
    const __m128i v0 = _mm_unpacklo_epi32(s0, s2), v1 = _mm_unpackhi_epi32(s0, s2);
    const __m128i v2 = _mm_unpacklo_epi32(s1, s3), v3 = _mm_unpackhi_epi32(s1, s3);
    const __m128i v4 = _mm_unpacklo_epi32(s4, s6), v5 = _mm_unpackhi_epi32(s4, s6);
    const __m128i v6 = _mm_unpacklo_epi32(s5, s7), v7 = _mm_unpackhi_epi32(s5, s7);
    const __m128i cols[8] = {_mm_unpacklo_epi64(v0, v4), _mm_unpackhi_epi64(v0, v4), _mm_unpacklo_epi64(v1, v5),
                             _mm_unpackhi_epi64(v1, v5), _mm_unpacklo_epi64(v2, v6), _mm_unpackhi_epi64(v2, v6),
                             _mm_unpacklo_epi64(v3, v7), _mm_unpackhi_epi64(v3, v7)};
    for (int64_t j = 0; j < m; ++j) dwT[b + j] = _mm256_cvtph_ps(cols[j]);
  }
}

//! Per-thread buffers.
struct alignas(64) QuantScratch {
  __m256 dwT[kChunk];
  __m256i codes[kChunk][8];
};


//! Stores 8 row results (rows [r, r + nr)) at y.
CF_INLINE void Store8(float* y, __m256 v, int64_t nr) {
  if (nr >= 8) {
    _mm256_storeu_ps(y, v);
  } else {
    _mm256_mask_storeu_ps(y, static_cast<__mmask8>((1u << nr) - 1), v);
  }
}

//! acc + vpdpbusd(u, the dword at q broadcast to all lanes), with the broadcast
//! folded into the instruction's memory operand (no separate broadcast uop).
CF_INLINE __m256i DpBcast(__m256i acc, __m256i u, const int8_t* q) {
  __asm__("vpdpbusd %2%{1to8%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*reinterpret_cast<const int32_t*>(q)));
  return acc;
}

//! The exact block sums of one token for 8 rows: bias + sum over the 8 code
//! positions (Q4_0 high positions come x16 and are shifted back exactly).
template <bool kQ4>
CF_INLINE __m256i BlockSum(const __m256i P[8], const int8_t* q, int32_t bias) {
  // Two independent chains keep the vpdpbusd latency off the critical path.
  __m256i a = DpBcast(_mm256_set1_epi32(bias), P[0], q);
  __m256i b = DpBcast(_mm256_setzero_si256(), P[4], q + 16);
  a = DpBcast(a, P[1], q + 4);
  b = DpBcast(b, P[5], q + 20);
  a = DpBcast(a, P[2], q + 8);
  b = DpBcast(b, P[6], q + 24);
  a = DpBcast(a, P[3], q + 12);
  b = DpBcast(b, P[7], q + 28);
  if constexpr (kQ4) b = _mm256_srai_epi32(b, 4);
  return _mm256_add_epi32(a, b);
}

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
  for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
    const int64_t n = std::min(kChunk, nb - c0);
    GroupScales<kQ4>(w, c0 * kBytes, n, s.dwT);
    int64_t b = 0;
    for (; b + 2 <= n; b += 2) {
      const int64_t gb = c0 + b;
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
