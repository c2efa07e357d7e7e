// The AVX-512 kernel path (F, BW, VL and VNNI; plus the AVX2/FMA/F16C set),
// compiled with target attributes so the rest of the build stays portable.
//
// MatMul tiles compute a block of R weight rows x T tokens at a time, so that
// each weight vector loaded is used for T tokens and each activation vector for
// R rows. Every output element follows the same sequence of operations whatever
// R and T are (one accumulator, the same chunk order, the same reduction tree),
// which keeps results bit-identical across batch sizes and thread counts.
// The quantized-weight tiles live in quant_tiles_avx512.cc.
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
#include "engine/packed_tiles_avx512.h"
#include "engine/quant_tiles_avx512.h"
#include "engine/simd_reduce.h"
#include "gguf/tensor_types.h"

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

//! The address of weight row r, which may lie past the matrix (prefetch only).
CF_INLINE const char* NextGroup(const MatMulTask& k, int64_t r) {
  return reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(k.w) + static_cast<uintptr_t>(r * k.row_bytes));
}

//! out[r][t] = dot(w[r], x[t]) for an R x T block of F32 rows. With one token
//! the rows are read once and the loop is bound by memory: `pf` (the next row
//! group, R * cols floats) is prefetched at the rate this group is consumed,
//! because rows of a few KB are too short for the hardware prefetchers.
template <int R, int T>
CF_TARGET void DotBlockF32(const float* const* w, const float* const* x, int64_t cols, const char* pf,
                           float (*out)[T]) {
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  int64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    if constexpr (T == 1) {
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) _mm_prefetch(pf + 64 * r, _MM_HINT_T1);
      pf = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(pf) + 64 * R);
    }
    __m512 xv[T];
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) xv[t] = _mm512_loadu_ps(x[t] + c);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 wv = _mm512_loadu_ps(w[r] + c);
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
      const __m512 wv = _mm512_maskz_loadu_ps(m, w[r] + c);
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

//! Runs an R x T F32 block for rows [r, r+R) and tokens [t, t+T), clamping
//! indices past r1/t1 to the last valid one (their results are dropped).
template <int R, int T>
CF_TARGET void F32Block(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1) {
  const float* w[R];
  const float* x[T];
  for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const float*>(k.w + std::min(r + i, r1 - 1) * k.row_bytes);
  for (int j = 0; j < T; ++j) x[j] = k.x + std::min(t + j, t1 - 1) * k.cols;
  float out[R][T];
  DotBlockF32<R, T>(w, x, k.cols, NextGroup(k, r + R), out);
  for (int i = 0; i < R && r + i < r1; ++i) {
    for (int j = 0; j < T && t + j < t1; ++j) k.y[(t + j) * k.rows + r + i] = out[i][j];
  }
}

CF_TARGET void TileF32(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1;) {
    const int64_t nt = t1 - t;
    if (nt == 1) {
      for (int64_t r = r0; r < r1; r += 8) F32Block<8, 1>(k, r, r1, t, t1);
      t += 1;
    } else if (nt == 2) {
      for (int64_t r = r0; r < r1; r += 4) F32Block<4, 2>(k, r, r1, t, t1);
      t += 2;
    } else if (nt == 3) {
      for (int64_t r = r0; r < r1; r += 4) F32Block<4, 3>(k, r, r1, t, t1);
      t += 3;
    } else {
      for (int64_t r = r0; r < r1; r += 4) F32Block<4, 4>(k, r, r1, t, t1);
      t += 4;
    }
  }
}

//! F16 weights use 8-lane accumulators: on Zen 4 the 512-bit vcvtph2ps costs
//! twice the 256-bit one, and 32 ymm registers still allow 4 x 4 tiles.
template <int R, int T>
CF_TARGET void HalfBlock(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1) {
  const uint16_t* w[R];
  const float* x[T];
  for (int i = 0; i < R; ++i) w[i] = reinterpret_cast<const uint16_t*>(k.w + std::min(r + i, r1 - 1) * k.row_bytes);
  for (int j = 0; j < T; ++j) x[j] = k.x + std::min(t + j, t1 - 1) * k.cols;
  __m256 acc[R][T];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  const int64_t cols = k.cols;
  // One token: prefetch the next row group as this one is consumed (see DotBlockF32).
  const char* pf = NextGroup(k, r + R);
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    if constexpr (T == 1) {
      static_assert(R % 4 == 0, "16 bytes per row per step: R / 4 cache lines");
#pragma GCC unroll 8
      for (int i = 0; i < R / 4; ++i) _mm_prefetch(pf + 64 * i, _MM_HINT_T1);
      pf = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(pf) + 16 * R);
    }
    __m256 xv[T];
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) xv[j] = _mm256_loadu_ps(x[j] + c);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[i] + c)));
#pragma GCC unroll 8
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (c < cols) {
    const __mmask8 m = TailMask8(cols - c);
    __m256 xv[T];
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) xv[j] = _mm256_maskz_loadu_ps(m, x[j] + c);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m256 wv = _mm256_cvtph_ps(_mm_maskz_loadu_epi16(m, w[i] + c));
#pragma GCC unroll 8
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  float sums[R * T + 3];
  ReduceMany<R * T>(&acc[0][0], sums);
  for (int i = 0; i < R && r + i < r1; ++i) {
    for (int j = 0; j < T && t + j < t1; ++j) k.y[(t + j) * k.rows + r + i] = sums[i * T + j];
  }
}

CF_TARGET void TileHalf(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1;) {
    const int64_t nt = t1 - t;
    if (nt == 1) {
      for (int64_t r = r0; r < r1; r += 8) HalfBlock<8, 1>(k, r, r1, t, t1);
      t += 1;
    } else if (nt == 2) {
      for (int64_t r = r0; r < r1; r += 4) HalfBlock<4, 2>(k, r, r1, t, t1);
      t += 2;
    } else if (nt == 3) {
      for (int64_t r = r0; r < r1; r += 4) HalfBlock<4, 3>(k, r, r1, t, t1);
      t += 3;
    } else {
      for (int64_t r = r0; r < r1; r += 4) HalfBlock<4, 4>(k, r, r1, t, t1);
      t += 4;
    }
  }
}

constexpr int64_t kQ4Bytes = 18;
constexpr int64_t kQ8Bytes = 34;

// ---------------------------------------------------------------- activations

CF_TARGET void QuantizeAct(const float* x, int64_t nb, int8_t* q, float* d, int32_t* qsum) {
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
    d[b] = db;
    qsum[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
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

//! 16 at a time with vcvtps2ph (see Fp32ToFp16Avx2), the tail masked.
CF_TARGET void Fp32ToFp16Avx512(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i),
                        _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  if (i < n) {
    const __mmask16 m = TailMask16(n - i);
    _mm256_mask_storeu_epi16(y + i, m, _mm512_cvtps_ph(_mm512_maskz_loadu_ps(m, x + i), _MM_FROUND_TO_NEAREST_INT));
  }
}

}  // namespace

const KernelTable& Avx512Kernels() {
  static const KernelTable table = [] {
    KernelTable t;
    t.path = KernelPath::kAvx512;
    t.matmul_f32 = TileF32;
    t.matmul_f16 = TileHalf;
    t.matmul_q8_0 = Avx512MatMulQ8_0;
    t.matmul_q4_0 = Avx512MatMulQ4_0;
    t.quantize_act = QuantizeAct;
    t.rms_norm = RmsNormAvx512;
    t.softmax = SoftmaxAvx512;
    t.swiglu = SwiGluAvx512;
    t.fp32_to_fp16 = Fp32ToFp16Avx512;
    t.dequantize_row = DequantizeRowAvx512;
    t.packed_bytes = Avx512PackedBytes;
    t.packed_group_bytes = Avx512PackedGroupBytes;
    t.pack = Avx512Pack;
    t.matmul_q8_0_packed = Avx512MatMulPackedQ8_0;
    t.matmul_q4_0_packed = Avx512MatMulPackedQ4_0;
    t.matmul_f32_packed = Avx512MatMulPackedF32;
    return t;
  }();
  return table;
}

}  // namespace capsfusion::engine
