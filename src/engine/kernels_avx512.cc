// The AVX-512 kernel path (F, BW, VL and VNNI; plus the AVX2/FMA/F16C set),
// compiled with target attributes so the rest of the build stays portable.
//
// MatMul tiles compute a block of R weight rows x T tokens at a time, so that
// each weight vector loaded is used for T tokens and each activation vector for
// R rows. Every output element follows the same sequence of operations whatever
// R and T are (one accumulator, the same chunk order, the same reduction tree),
// which keeps results bit-identical across batch sizes and thread counts.
//
// Quantized weights: activations are Q8_0 (act_quant.h). Each block's dot
// product is one vpdpbusd of unsigned weight codes (Q4_0 nibbles 0..15, Q8_0
// codes xor 0x80, that is + 128) with the signed activation codes; the offset
// (8 or 128) times sum(q) is taken off once per output, through s = d * sum(q).
#include <immintrin.h>

// GCC 12 warns about the deliberately undefined pass-through operand inside
// several AVX-512 intrinsics (_mm512_undefined_*); the warning is spurious.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/kernel_table.h"
#include "engine/simd_reduce.h"

#define CF_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define CF_INLINE CF_TARGET inline __attribute__((always_inline))

namespace capsfusion::engine {
namespace {

// ---------------------------------------------------------------- helpers

//! lanes i + i+8 of a zmm, giving a ymm (the first step of every reduction).
CF_INLINE __m256 Fold512(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  return _mm256_add_ps(lo, hi);
}

CF_INLINE __mmask16 TailMask16(int64_t n) { return static_cast<__mmask16>((1u << n) - 1u); }
CF_INLINE __mmask8 TailMask8(int64_t n) { return static_cast<__mmask8>((1u << n) - 1u); }
//! The first n bytes of a 64-byte load (n may be <= 0 or >= 64).
CF_INLINE __mmask64 ByteMask(int64_t n) {
  return n <= 0 ? __mmask64{0} : n >= 64 ? ~__mmask64{0} : ((__mmask64{1} << n) - 1);
}

//! exp(x) for a zmm: 2^n * p(r) with |r| <= ln2/2, degree-7 polynomial,
//! vscalefps for the exponent (gives 0 and inf at the ends).
CF_INLINE __m512 Exp512(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(89.0f)), _mm512_set1_ps(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

// ---------------------------------------------------------------- F32 / F16

//! Loads 16 weights (F32 or F16) as floats; `mask` selects a partial chunk.
template <bool kHalf>
CF_INLINE __m512 LoadW(const void* row, int64_t c, __mmask16 mask, bool partial) {
  if constexpr (kHalf) {
    const auto* p = static_cast<const uint16_t*>(row) + c;
    const __m256i h = partial ? _mm256_maskz_loadu_epi16(mask, p)
                              : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_cvtph_ps(h);
  } else {
    const float* p = static_cast<const float*>(row) + c;
    return partial ? _mm512_maskz_loadu_ps(mask, p) : _mm512_loadu_ps(p);
  }
}

//! out[r][t] = dot(w[r], x[t]) for an R x T block.
template <int R, int T, bool kHalf>
CF_TARGET void DotBlockFloat(const void* const* w, const float* const* x, int64_t cols, float (*out)[T]) {
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  int64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    __m512 xv[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) xv[t] = _mm512_loadu_ps(x[t] + c);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 wv = LoadW<kHalf>(w[r], c, 0, false);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  if (c < cols) {
    const __mmask16 m = TailMask16(cols - c);
    __m512 xv[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) xv[t] = _mm512_maskz_loadu_ps(m, x[t] + c);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 wv = LoadW<kHalf>(w[r], c, m, true);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
    }
  }
  __m256 folded[R * T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) folded[r * T + t] = Fold512(acc[r][t]);
  }
  float sums[R * T + 3];
  ReduceMany<R * T>(folded, sums);
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r][t] = sums[r * T + t];
  }
}

//! Runs an R x T float block for rows [r, r+R) and tokens [t, t+T), clamping
//! indices past r1/t1 to the last valid one (their results are dropped).
template <int R, int T, bool kHalf>
CF_TARGET void FloatBlock(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1) {
  const void* w[R];
  const float* x[T];
  for (int i = 0; i < R; ++i) w[i] = k.w + std::min(r + i, r1 - 1) * k.row_bytes;
  for (int j = 0; j < T; ++j) x[j] = k.x + std::min(t + j, t1 - 1) * k.cols;
  float out[R][T];
  DotBlockFloat<R, T, kHalf>(w, x, k.cols, out);
  for (int i = 0; i < R && r + i < r1; ++i) {
    for (int j = 0; j < T && t + j < t1; ++j) k.y[(t + j) * k.rows + r + i] = out[i][j];
  }
}

template <bool kHalf>
CF_TARGET void TileFloat(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1;) {
    const int64_t nt = t1 - t;
    if (nt == 1) {
      for (int64_t r = r0; r < r1; r += 8) FloatBlock<8, 1, kHalf>(k, r, r1, t, t1);
      t += 1;
    } else if (nt == 2) {
      for (int64_t r = r0; r < r1; r += 4) FloatBlock<4, 2, kHalf>(k, r, r1, t, t1);
      t += 2;
    } else if (nt == 3) {
      for (int64_t r = r0; r < r1; r += 4) FloatBlock<4, 3, kHalf>(k, r, r1, t, t1);
      t += 3;
    } else {
      for (int64_t r = r0; r < r1; r += 4) FloatBlock<4, 4, kHalf>(k, r, r1, t, t1);
      t += 4;
    }
  }
}

// ---------------------------------------------------------------- quantized

constexpr int64_t kQ4Bytes = 18;
constexpr int64_t kQ8Bytes = 34;

//! The 32 unsigned codes of a weight block, in element order.
template <bool kQ4>
CF_INLINE __m256i WeightCodes(const uint8_t* block) {
  if constexpr (kQ4) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(raw), _mm_srli_epi16(raw, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0f));
  } else {
    const __m256i raw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
    return _mm256_xor_si256(raw, _mm256_set1_epi8(static_cast<char>(0x80)));
  }
}

//! Converts the fp16 scales of a row's nb blocks to floats (out has room for
//! nb rounded up to 8; the padding is zero). vpermt2w picks the scale words out
//! of two 64-byte loads.
template <bool kQ4>
CF_TARGET void RowScales(const uint8_t* row, int64_t nb, float* out) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  constexpr int kPerLoad = kQ4 ? 8 : 4;  // blocks whose scales sit within 128 bytes
  // Word offsets of the scales: block j of the group starts at byte j * kBytes.
  alignas(64) static constexpr uint16_t kIdx4[32] = {0, 9, 18, 27, 36, 45, 54, 63};
  alignas(64) static constexpr uint16_t kIdx8[32] = {0, 17, 34, 51};
  const __m512i idx = _mm512_load_si512(kQ4 ? kIdx4 : kIdx8);
  int64_t b = 0;
  for (; b < nb; b += kPerLoad) {
    const uint8_t* p = row + b * kBytes;
    const int64_t n = std::min<int64_t>(kPerLoad, nb - b);
    // Bytes needed: up to the end of the last scale; masked loads never fault.
    const int64_t need = (n - 1) * kBytes + 2;
    const __mmask64 m0 = ByteMask(need);
    const __mmask64 m1 = ByteMask(need - 64);
    const __m512i lo = _mm512_maskz_loadu_epi8(m0, p);
    const __m512i hi = _mm512_maskz_loadu_epi8(m1, p + 64);
    const __m512i words = _mm512_permutex2var_epi16(lo, idx, hi);
    if constexpr (kQ4) {
      const __m256 f = _mm256_cvtph_ps(_mm512_castsi512_si128(words));
      _mm256_storeu_ps(out + b, _mm256_maskz_mov_ps(TailMask8(n), f));
    } else {
      const __m128 f = _mm_cvtph_ps(_mm512_castsi512_si128(words));
      _mm_storeu_ps(out + b, _mm_maskz_mov_ps(static_cast<__mmask8>(TailMask8(n)), f));
    }
  }
  for (; b % 8 != 0; b += 4) _mm_storeu_ps(out + b, _mm_setzero_ps());
}

//! out[r][t] for an R x T block of quantized rows against Q8_0 activations.
//! scales: per row nb8 floats (RowScales); sc: [R][T][nb] products of weight
//! and activation scales.
template <int R, int T, bool kQ4>
CF_TARGET void DotBlockQuant(const uint8_t* const* w, const int8_t* const* xq, const float* const* xs,
                             const float* const* wscale, const float* sc, int64_t nb, float (*out)[T]) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  __m256 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    __m256i u[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) u[r] = WeightCodes<kQ4>(w[r] + b * kBytes);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[t] + b * 32));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256i isum = _mm256_dpbusd_epi32(_mm256_setzero_si256(), u[r], q);
        acc[r][t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_broadcast_ss(sc + (r * T + t) * nb + b),
                                    acc[r][t]);
      }
    }
  }
  // Offsets: sum over blocks of wscale * s, 8 blocks per step.
  __m256 corr[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) corr[r][t] = _mm256_setzero_ps();
  }
  for (int64_t b = 0; b < nb; b += 8) {
    const __mmask8 m = nb - b >= 8 ? static_cast<__mmask8>(0xff) : TailMask8(nb - b);
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m256 s = _mm256_maskz_loadu_ps(m, xs[t] + b);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) corr[r][t] = _mm256_fmadd_ps(_mm256_loadu_ps(wscale[r] + b), s, corr[r][t]);
    }
  }
  float sums[R * T + 3], corrs[R * T + 3];
  ReduceMany<R * T>(&acc[0][0], sums);
  ReduceMany<R * T>(&corr[0][0], corrs);
  constexpr float kOffset = kQ4 ? 8.0f : 128.0f;
  for (int r = 0; r < R; ++r) {
    for (int t = 0; t < T; ++t) out[r][t] = sums[r * T + t] - kOffset * corrs[r * T + t];
  }
}

//! Per-thread buffers of the quantized tiles.
struct QuantScratch {
  std::vector<float> wscale;  // [8][nb8]
  std::vector<float> sc;      // [R*T][nb]
};

template <int R, int T, bool kQ4>
CF_TARGET void QuantBlock(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1,
                          const float* const* wscale, QuantScratch& s) {
  const int64_t nb = k.qa.nb;
  const uint8_t* w[R];
  const int8_t* xq[T];
  const float* xs[T];
  const float* xd[T];
  const float* ws[R];
  for (int i = 0; i < R; ++i) {
    const int64_t ri = std::min(r + i, r1 - 1) - r;
    w[i] = k.w + (r + ri) * k.row_bytes;
    ws[i] = wscale[ri];
  }
  for (int j = 0; j < T; ++j) {
    const int64_t tj = std::min(t + j, t1 - 1);
    xq[j] = k.qa.q + tj * nb * 32;
    xs[j] = k.qa.s + tj * nb;
    xd[j] = k.qa.d + tj * nb;
  }
  float* sc = s.sc.data();
  for (int i = 0; i < R; ++i) {
    for (int j = 0; j < T; ++j) {
      float* dst = sc + (i * T + j) * nb;
      int64_t b = 0;
      for (; b + 8 <= nb; b += 8) {
        _mm256_storeu_ps(dst + b, _mm256_mul_ps(_mm256_loadu_ps(ws[i] + b), _mm256_loadu_ps(xd[j] + b)));
      }
      if (b < nb) {
        const __mmask8 m = TailMask8(nb - b);
        _mm256_mask_storeu_ps(dst + b, m, _mm256_mul_ps(_mm256_loadu_ps(ws[i] + b), _mm256_maskz_loadu_ps(m, xd[j] + b)));
      }
    }
  }
  float out[R][T];
  DotBlockQuant<R, T, kQ4>(w, xq, xs, ws, sc, nb, out);
  for (int i = 0; i < R && r + i < r1; ++i) {
    for (int j = 0; j < T && t + j < t1; ++j) k.y[(t + j) * k.rows + r + i] = out[i][j];
  }
}

template <bool kQ4>
CF_TARGET void TileQuant(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  thread_local QuantScratch s;
  const int64_t nb = k.qa.nb;
  const int64_t nb8 = (nb + 7) / 8 * 8;
  if (static_cast<int64_t>(s.wscale.size()) < 8 * nb8) s.wscale.resize(8 * nb8);
  if (static_cast<int64_t>(s.sc.size()) < 16 * nb) s.sc.resize(16 * nb);
  const int64_t rows_per_group = (t1 - t0 == 1) ? 8 : 4;
  for (int64_t r = r0; r < r1; r += rows_per_group) {
    const int64_t nr = std::min(rows_per_group, r1 - r);
    const float* wscale[8];
    for (int64_t i = 0; i < nr; ++i) {
      RowScales<kQ4>(k.w + (r + i) * k.row_bytes, nb, s.wscale.data() + i * nb8);
      wscale[i] = s.wscale.data() + i * nb8;
    }
    for (int64_t t = t0; t < t1;) {
      const int64_t nt = t1 - t;
      if (rows_per_group == 8) {
        QuantBlock<8, 1, kQ4>(k, r, r + nr, t, t1, wscale, s);
        t += 1;
      } else if (nt == 1) {
        QuantBlock<4, 1, kQ4>(k, r, r + nr, t, t1, wscale, s);
        t += 1;
      } else if (nt == 2) {
        QuantBlock<4, 2, kQ4>(k, r, r + nr, t, t1, wscale, s);
        t += 2;
      } else if (nt == 3) {
        QuantBlock<4, 3, kQ4>(k, r, r + nr, t, t1, wscale, s);
        t += 3;
      } else {
        QuantBlock<4, 4, kQ4>(k, r, r + nr, t, t1, wscale, s);
        t += 4;
      }
    }
  }
}

// ---------------------------------------------------------------- activations

CF_TARGET void QuantizeAct(const float* x, int64_t nb, int8_t* q, float* d, float* s) {
  for (int64_t b = 0; b < nb; ++b, x += 32, q += 32) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
    const __m512 a = _mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1));
    const float amax = _mm512_reduce_max_ps(a);
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, vid));
    const __m512i i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, vid));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm512_cvtsepi32_epi8(i0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16), _mm512_cvtsepi32_epi8(i1));
    const int32_t sum = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
    d[b] = db;
    s[b] = db * static_cast<float>(sum);
  }
}

// ---------------------------------------------------------------- element-wise

CF_TARGET void RmsNormAvx512(const float* x, const float* weight, int64_t n, float eps, float* y) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  if (i < n) {
    const __m512 v = _mm512_maskz_loadu_ps(TailMask16(n - i), x + i);
    acc = _mm512_fmadd_ps(v, v, acc);
  }
  const double ss = _mm512_reduce_add_ps(acc);
  const __m512 scale = _mm512_set1_ps(static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps)));
  for (i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(n - i);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
    if (weight) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, weight + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

CF_TARGET void SoftmaxAvx512(float* x, int64_t n) {
  if (n <= 0) return;
  __m512 mx = _mm512_set1_ps(-INFINITY);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(n - i);
    mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, x + i));
  }
  const float max = _mm512_reduce_max_ps(mx);
  if (std::isinf(max) && max < 0) {
    std::fill(x, x + n, 0.0f);
    return;
  }
  const __m512 vmax = _mm512_set1_ps(max);
  __m512 sum = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, Exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vmax)));
    _mm512_mask_storeu_ps(x + i, m, e);
    sum = _mm512_add_ps(sum, e);
  }
  const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / static_cast<double>(_mm512_reduce_add_ps(sum))));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

CF_TARGET void SwiGluAvx512(const float* gate, const float* up, float* out, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, e));
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(silu, u));
  }
}

CF_TARGET void DequantizeRowAvx512(TensorType type, const uint8_t* row, int64_t cols, float* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, row, static_cast<size_t>(cols) * 4);
      return;
    case TensorType::kF16: {
      const auto* h = reinterpret_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < cols; i += 16) {
        const __mmask16 m = cols - i >= 16 ? static_cast<__mmask16>(0xffff) : TailMask16(cols - i);
        _mm512_mask_storeu_ps(out + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h + i)));
      }
      return;
    }
    case TensorType::kQ8_0:
      for (int64_t b = 0; b < cols / 32; ++b, row += kQ8Bytes, out += 32) {
        const __m512 d = _mm512_set1_ps(_cvtsh_ss(static_cast<uint16_t>(row[0] | (row[1] << 8))));
        const __m128i* q = reinterpret_cast<const __m128i*>(row + 2);
        _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q))), d));
        _mm512_storeu_ps(out + 16, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(q + 1))), d));
      }
      return;
    case TensorType::kQ4_0:
      for (int64_t b = 0; b < cols / 32; ++b, row += kQ4Bytes, out += 32) {
        const __m512 d = _mm512_set1_ps(_cvtsh_ss(static_cast<uint16_t>(row[0] | (row[1] << 8))));
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2));
        const __m128i lo = _mm_and_si128(raw, _mm_set1_epi8(0x0f));
        const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), _mm_set1_epi8(0x0f));
        const __m512i eight = _mm512_set1_epi32(8);
        _mm512_storeu_ps(out, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(lo), eight)), d));
        _mm512_storeu_ps(out + 16,
                         _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(hi), eight)), d));
      }
      return;
  }
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = [] {
    KernelTable t;
    t.path = KernelPath::kAvx512;
    t.matmul_f32 = TileFloat<false>;
    t.matmul_f16 = TileFloat<true>;
    t.matmul_q8_0 = TileQuant<false>;
    t.matmul_q4_0 = TileQuant<true>;
    t.quantize_act = QuantizeAct;
    t.rms_norm = RmsNormAvx512;
    t.softmax = SoftmaxAvx512;
    t.swiglu = SwiGluAvx512;
    t.dequantize_row = DequantizeRowAvx512;
    return t;
  }();
  return table;
}

}  // namespace capsfusion::engine
