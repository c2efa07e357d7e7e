// AVX-512 VNNI MatMul tiles on packed Q4_0/Q8_0 weights (packed_weights.h).
//
// Packed layout: the rows are taken 8 at a time (the last group is padded by
// repeating its last row); a group stores, block after block, the block's codes
// already transposed to "rows in lanes" (quant_tiles_avx512.cc) followed by the
// 8 rows' scales as floats:
//   Q4_0: 4 x 32 bytes, dword p of each row's 16 nibble bytes (not yet split),
//         then 8 floats: 160 bytes per block of 8 rows (ggml: 144).
//   Q8_0: 8 x 32 bytes, dword p of each row's 32 codes, xor 0x80,
//         then 8 floats: 288 bytes per block of 8 rows (ggml: 272).
// A group is one sequential stream, and a block costs no shuffles at all.
//
// The arithmetic per output element is exactly that of the ggml-layout tiles
// (exact integer block sums, then one float FMA chain over the blocks in order),
// so packed and unpacked weights give bit-identical results.
#include "engine/packed_tiles_avx512.h"

#include "engine/quant_avx512_inl.h"

namespace capsfusion::engine {
namespace {

using namespace avx512q;  // NOLINT: the building blocks of this file

#define CF_TARGET CF_Q_TARGET
#define CF_INLINE CF_Q_INLINE

template <bool kQ4>
constexpr int64_t CodeBytes() {
  return kQ4 ? 128 : 256;
}
template <bool kQ4>
constexpr int64_t PackedBlockBytes() {
  return CodeBytes<kQ4>() + 32;
}

CF_INLINE __m256i Load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

//! The 8 code vectors of a packed block. Q4_0 with kHi16: high nibbles kept in
//! place (16 x the code), else shifted down.
template <bool kQ4, bool kHi16>
CF_INLINE void PackedCodes(const uint8_t* block, __m256i P[8]) {
  if constexpr (kQ4) {
    const __m256i lo = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) {
      const __m256i raw = Load256(block + 32 * p);
      P[p] = _mm256_and_si256(raw, lo);
      P[p + 4] = kHi16 ? _mm256_andnot_si256(lo, raw) : _mm256_and_si256(_mm256_srli_epi16(raw, 4), lo);
    }
  } else {
#pragma GCC unroll 8
    for (int p = 0; p < 8; ++p) P[p] = Load256(block + 32 * p);
  }
}

//! One token, one group of 8 rows ([r, r + nr) are real).
template <bool kQ4>
CF_TARGET void PackedOneToken(const MatMulTask& k, const uint8_t* group, int64_t r, int64_t nr, int64_t t) {
  constexpr int64_t kBlock = PackedBlockBytes<kQ4>();
  constexpr int32_t kOffset = kQ4 ? -8 : -128;
  const int64_t nb = k.qa.nb;
  const int8_t* xq = k.qa.q + t * nb * 32;
  const int32_t* xs = k.qa.qsum + t * nb;
  const float* xd = k.qa.d + t * nb;
  __m256 acc = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* blk = group + b * kBlock;
    __m256i P0[8], P1[8];
    PackedCodes<kQ4, true>(blk, P0);
    PackedCodes<kQ4, true>(blk + kBlock, P1);
    const __m256i i0 = BlockSum<kQ4>(P0, xq + b * 32, kOffset * xs[b]);
    const __m256i i1 = BlockSum<kQ4>(P1, xq + b * 32 + 32, kOffset * xs[b + 1]);
    const __m256 s0 = _mm256_mul_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(blk + CodeBytes<kQ4>())),
                                    _mm256_set1_ps(xd[b]));
    const __m256 s1 = _mm256_mul_ps(
        _mm256_loadu_ps(reinterpret_cast<const float*>(blk + kBlock + CodeBytes<kQ4>())), _mm256_set1_ps(xd[b + 1]));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), s0, acc);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i1), s1, acc);
  }
  if (b < nb) {
    const uint8_t* blk = group + b * kBlock;
    __m256i P[8];
    PackedCodes<kQ4, true>(blk, P);
    const __m256i i0 = BlockSum<kQ4>(P, xq + b * 32, kOffset * xs[b]);
    const __m256 s0 = _mm256_mul_ps(_mm256_loadu_ps(reinterpret_cast<const float*>(blk + CodeBytes<kQ4>())),
                                    _mm256_set1_ps(xd[b]));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), s0, acc);
  }
  Store8(k.y + t * k.rows + r, acc, nr);
}

//! T tokens [t0, t0 + T), one group of 8 rows: each block's codes are loaded
//! once for the T tokens.
template <int T, bool kQ4>
CF_TARGET void PackedTokens(const MatMulTask& k, const uint8_t* group, int64_t r, int64_t nr, int64_t t0) {
  constexpr int64_t kBlock = PackedBlockBytes<kQ4>();
  constexpr int32_t kOffset = kQ4 ? -8 : -128;
  const int64_t nb = k.qa.nb;
  const int8_t* xq[T];
  const int32_t* xs[T];
  const float* xd[T];
  __m256 acc[T];
#pragma GCC unroll 8
  for (int j = 0; j < T; ++j) {
    xq[j] = k.qa.q + (t0 + j) * nb * 32;
    xs[j] = k.qa.qsum + (t0 + j) * nb;
    xd[j] = k.qa.d + (t0 + j) * nb;
    acc[j] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk = group + b * kBlock;
    __m256i P[8];
    PackedCodes<kQ4, false>(blk, P);
    const __m256 dw = _mm256_loadu_ps(reinterpret_cast<const float*>(blk + CodeBytes<kQ4>()));
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
CF_TARGET void PackedTile(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  constexpr int kTokenTile = 4;
  for (int64_t r = r0; r < r1; r += 8) {
    const int64_t nr = std::min<int64_t>(8, r1 - r);
    const uint8_t* group = k.w + (r / 8) * k.row_bytes;
    if (t1 - t0 == 1) {
      PackedOneToken<kQ4>(k, group, r, nr, t0);
      continue;
    }
    int64_t t = t0;
    for (; t + kTokenTile <= t1; t += kTokenTile) PackedTokens<kTokenTile, kQ4>(k, group, r, nr, t);
    switch (t1 - t) {
      case 1: PackedTokens<1, kQ4>(k, group, r, nr, t); break;
      case 2: PackedTokens<2, kQ4>(k, group, r, nr, t); break;
      case 3: PackedTokens<3, kQ4>(k, group, r, nr, t); break;
      default: break;
    }
  }
}

template <bool kQ4>
CF_TARGET void Pack(const WeightView& w, uint8_t* out) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  constexpr int64_t kBlock = PackedBlockBytes<kQ4>();
  constexpr int64_t kScaleChunk = 64;
  const int64_t nb = w.cols / 32;
  const int64_t row_bytes = nb * kBytes;
  __m256 dwT[kScaleChunk];
  for (int64_t r = 0; r < w.rows; r += 8) {
    const uint8_t* rows[8];
    for (int i = 0; i < 8; ++i) rows[i] = w.data + std::min<int64_t>(r + i, w.rows - 1) * row_bytes;
    uint8_t* group = out + (r / 8) * nb * kBlock;
    for (int64_t c0 = 0; c0 < nb; c0 += kScaleChunk) {
      const int64_t n = std::min(kScaleChunk, nb - c0);
      GroupScales<kQ4>(rows, c0 * kBytes, n, dwT);
      for (int64_t b = 0; b < n; ++b) {
        uint8_t* blk = group + (c0 + b) * kBlock;
        const int64_t off = (c0 + b) * kBytes;
        if constexpr (kQ4) {
          __m256i R[4];
          Transpose8x4(Load128(rows[0] + off + 2), Load128(rows[1] + off + 2), Load128(rows[2] + off + 2),
                       Load128(rows[3] + off + 2), Load128(rows[4] + off + 2), Load128(rows[5] + off + 2),
                       Load128(rows[6] + off + 2), Load128(rows[7] + off + 2), R);
          for (int p = 0; p < 4; ++p) _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + 32 * p), R[p]);
        } else {
          __m256i P[8];
          BlockCodes<false, false>(rows, off, P);
          for (int p = 0; p < 8; ++p) _mm256_storeu_si256(reinterpret_cast<__m256i*>(blk + 32 * p), P[p]);
        }
        _mm256_storeu_ps(reinterpret_cast<float*>(blk + CodeBytes<kQ4>()), dwT[b]);
      }
    }
  }
}

}  // namespace

int64_t Avx512PackedBytes(TensorType type, int64_t rows, int64_t cols) {
  const int64_t groups = (rows + 7) / 8, nb = cols / 32;
  switch (type) {
    case TensorType::kQ4_0: return groups * nb * PackedBlockBytes<true>();
    case TensorType::kQ8_0: return groups * nb * PackedBlockBytes<false>();
    case TensorType::kF32: return Avx512PackedF32Bytes(rows, cols);
    default: return 0;
  }
}

int64_t Avx512PackedGroupBytes(TensorType type, int64_t cols) { return Avx512PackedBytes(type, 8, cols); }

void Avx512Pack(const WeightView& w, uint8_t* out) {
  if (w.type == TensorType::kQ4_0) Pack<true>(w, out);
  if (w.type == TensorType::kQ8_0) Pack<false>(w, out);
  if (w.type == TensorType::kF32) Avx512PackF32(w, out);
}

void Avx512MatMulPackedQ4_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  PackedTile<true>(k, r0, r1, t0, t1);
}

void Avx512MatMulPackedQ8_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  PackedTile<false>(k, r0, r1, t0, t1);
}

}  // namespace capsfusion::engine
