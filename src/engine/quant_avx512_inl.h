// Building blocks of the AVX-512 VNNI quantized tiles, shared by the tiles on
// ggml-layout weights (quant_tiles_avx512.cc) and on packed weights
// (packed_tiles_avx512.cc). Include only from files whose functions are
// compiled for AVX-512 (every function here carries the same target
// attribute, so the copies in different files are identical).
#pragma once

#include <immintrin.h>

// GCC 12 warns about the deliberately undefined pass-through operand inside
// several AVX-512 intrinsics; the warning is spurious.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cstdint>
#include <cstring>

#define CF_Q_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define CF_Q_INLINE CF_Q_TARGET inline __attribute__((always_inline))

namespace capsfusion::engine::avx512q {

constexpr int64_t kQ4Bytes = 18;
constexpr int64_t kQ8Bytes = 34;

CF_Q_INLINE __mmask64 ByteMask(int64_t n) {
  return n <= 0 ? __mmask64{0} : n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}

//! Transposes 8 rows x 4 dwords (xmm a..h) into 4 ymm: out[p] = dword p of rows 0..7.
CF_Q_INLINE void Transpose8x4(__m128i a, __m128i b, __m128i c, __m128i d, __m128i e, __m128i f, __m128i g, __m128i h,
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

CF_Q_INLINE __m128i Load128(const uint8_t* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

//! The transposed codes of one block of 8 rows (w[i] + off is the block).
//! Q4_0: kHi16 keeps the high nibbles in place (16 x the code) for p >= 4;
//! otherwise they are shifted down. Q8_0: codes + 128.
template <bool kQ4, bool kHi16>
CF_Q_INLINE void BlockCodes(const uint8_t* const* w, int64_t off, __m256i P[8]) {
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
CF_Q_INLINE __m128i ScaleWords(const uint8_t* blocks, int64_t n) {
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
CF_Q_TARGET void GroupScales(const uint8_t* const* w, int64_t off, int64_t n, __m256* dwT) {
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

//! Stores 8 row results (rows [r, r + nr)) at y.
CF_Q_INLINE void Store8(float* y, __m256 v, int64_t nr) {
  if (nr >= 8) {
    _mm256_storeu_ps(y, v);
  } else {
    _mm256_mask_storeu_ps(y, static_cast<__mmask8>((1u << nr) - 1), v);
  }
}

//! acc + vpdpbusd(u, the dword at q broadcast to all lanes), with the broadcast
//! folded into the instruction's memory operand (no separate broadcast uop).
CF_Q_INLINE __m256i DpBcast(__m256i acc, __m256i u, const int8_t* q) {
  __asm__("vpdpbusd %2%{1to8%}, %1, %0" : "+v"(acc) : "v"(u), "m"(*reinterpret_cast<const int32_t*>(q)));
  return acc;
}

//! The exact block sums of one token for 8 rows: bias + sum over the 8 code
//! positions (Q4_0 high positions come x16 and are shifted back exactly).
template <bool kQ4>
CF_Q_INLINE __m256i BlockSum(const __m256i P[8], const int8_t* q, int32_t bias) {
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

}  // namespace capsfusion::engine::avx512q
