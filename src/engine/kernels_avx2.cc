// The AVX2 kernel path (AVX2, FMA, F16C), compiled with target attributes so
// the rest of the build stays portable. Used on x86 CPUs without AVX-512 VNNI.
//
// MatMul tiles compute R weight rows x T tokens at a time. Per output element
// the arithmetic is fixed: one 8-lane accumulator updated chunk by chunk in
// order, then the lanes summed in the tree of simd_reduce.h. So results do not
// depend on the tile shape, the batch size or the thread count.
//
// Quantized weights (Q8_0 activations): per block, the signed weight codes w
// and activation codes q go through vpmaddubsw(|w|, sign(q, w)) and vpmaddwd,
// giving 8 exact int32 lanes; acc = fma(float(lanes), d_w * d_x, acc).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/kernel_table.h"
#include "engine/simd_reduce.h"
#include "gguf/tensor_types.h"

#define CF_TARGET __attribute__((target("avx2,fma,f16c")))
#define CF_INLINE CF_TARGET inline __attribute__((always_inline))

namespace capsfusion::engine {
namespace {

constexpr int64_t kQ4Bytes = 18;
constexpr int64_t kQ8Bytes = 34;
//! Blocks per chunk of the scale-product buffer.
constexpr int64_t kChunk = 64;

//! A mask for _mm256_maskload/maskstore selecting the first n (0..8) lanes.
CF_INLINE __m256i LaneMask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

CF_INLINE float HalfToFloat(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

//! exp(x): 2^n * p(r), |r| <= ln2/2, degree-7 polynomial; 2^n applied in two
//! steps so that large and small results reach inf and 0 (or subnormals).
CF_INLINE __m256 Exp256(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(89.0f)), _mm256_set1_ps(-104.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i ni = _mm256_cvtps_epi32(n);
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 f1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 f2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(p, f1), f2);
}

// ---------------------------------------------------------------- F32 / F16

//! Loads 8 weights (F32 or F16) as floats; `n` < 8 loads a partial chunk.
template <bool kHalf>
CF_INLINE __m256 LoadW(const void* row, int64_t c, int64_t n) {
  if constexpr (kHalf) {
    const auto* p = static_cast<const uint16_t*>(row) + c;
    if (n >= 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    alignas(16) uint16_t tmp[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::memcpy(tmp, p, static_cast<size_t>(n) * 2);
    return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(tmp)));
  } else {
    const float* p = static_cast<const float*>(row) + c;
    return n >= 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, LaneMask(n));
  }
}

template <int R, int T, bool kHalf>
CF_TARGET void FloatBlock(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1) {
  const void* w[R];
  const float* x[T];
  for (int i = 0; i < R; ++i) w[i] = k.w + std::min(r + i, r1 - 1) * k.row_bytes;
  for (int j = 0; j < T; ++j) x[j] = k.x + std::min(t + j, t1 - 1) * k.cols;
  __m256 acc[R][T];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  const int64_t cols = k.cols;
  // One token: prefetch the next group of R rows (contiguous with this one) as
  // this one is consumed; short rows defeat the hardware prefetchers.
  uintptr_t pf = reinterpret_cast<uintptr_t>(k.w) + static_cast<uintptr_t>((r + R) * k.row_bytes);
  constexpr int64_t kStep = (kHalf ? 16 : 32) * R;  // bytes of the group consumed per step
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    if constexpr (T == 1) {
#pragma GCC unroll 8
      for (int64_t line = 0; line < kStep; line += 64) _mm_prefetch(reinterpret_cast<const char*>(pf + line), _MM_HINT_T1);
      pf += kStep;
    }
    __m256 xv[T];
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) xv[j] = _mm256_loadu_ps(x[j] + c);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m256 wv = LoadW<kHalf>(w[i], c, 8);
#pragma GCC unroll 8
      for (int j = 0; j < T; ++j) acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  if (c < cols) {
    const __m256i m = LaneMask(cols - c);
    __m256 xv[T];
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) xv[j] = _mm256_maskload_ps(x[j] + c, m);
#pragma GCC unroll 8
    for (int i = 0; i < R; ++i) {
      const __m256 wv = LoadW<kHalf>(w[i], c, cols - c);
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

template <bool kHalf>
CF_TARGET void TileFloat(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  for (int64_t t = t0; t < t1;) {
    if (t1 - t == 1) {
      for (int64_t r = r0; r < r1; r += 8) FloatBlock<8, 1, kHalf>(k, r, r1, t, t1);
      t += 1;
    } else {
      for (int64_t r = r0; r < r1; r += 4) FloatBlock<4, 2, kHalf>(k, r, r1, t, t1);
      t += 2;
    }
  }
}

// ---------------------------------------------------------------- quantized

//! The 32 signed codes of a weight block, in element order.
template <bool kQ4>
CF_INLINE __m256i SignedCodes(const uint8_t* block) {
  if constexpr (kQ4) {
    const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(raw), _mm_srli_epi16(raw, 4), 1);
    return _mm256_sub_epi8(_mm256_and_si256(both, _mm256_set1_epi8(0x0f)), _mm256_set1_epi8(8));
  } else {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  }
}

struct alignas(32) QuantScratch {
  float sc[4][kChunk];
};

//! y for rows [r, r+R) x tokens [t, t+T) (clamped like FloatBlock).
template <int R, int T, bool kQ4>
CF_TARGET void QuantBlock(const MatMulTask& k, int64_t r, int64_t r1, int64_t t, int64_t t1, QuantScratch& s) {
  constexpr int64_t kBytes = kQ4 ? kQ4Bytes : kQ8Bytes;
  const int64_t nb = k.qa.nb;
  const uint8_t* w[R];
  const int8_t* xq[T];
  const float* xd[T];
  for (int i = 0; i < R; ++i) w[i] = k.w + std::min(r + i, r1 - 1) * k.row_bytes;
  for (int j = 0; j < T; ++j) {
    const int64_t tj = std::min(t + j, t1 - 1);
    xq[j] = k.qa.q + tj * nb * 32;
    xd[j] = k.qa.d + tj * nb;
  }
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[R][T];
#pragma GCC unroll 8
  for (int i = 0; i < R; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) acc[i][j] = _mm256_setzero_ps();
  }
  for (int64_t c0 = 0; c0 < nb; c0 += kChunk) {
    const int64_t n = std::min(kChunk, nb - c0);
    // Scalar products: a vector load right after scalar stores would stall on
    // store forwarding.
    for (int i = 0; i < R; ++i) {
      for (int64_t b = 0; b < n; ++b) {
        const float dw = HalfToFloat(w[i] + (c0 + b) * kBytes);
        for (int j = 0; j < T; ++j) s.sc[i * T + j][b] = dw * xd[j][c0 + b];
      }
    }
    for (int64_t b = 0; b < n; ++b) {
      __m256i wa[R], ws[R];
#pragma GCC unroll 4
      for (int i = 0; i < R; ++i) {
        ws[i] = SignedCodes<kQ4>(w[i] + (c0 + b) * kBytes);
        wa[i] = _mm256_sign_epi8(ws[i], ws[i]);
      }
#pragma GCC unroll 4
      for (int j = 0; j < T; ++j) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[j] + (c0 + b) * 32));
#pragma GCC unroll 4
        for (int i = 0; i < R; ++i) {
          const __m256i p16 = _mm256_maddubs_epi16(wa[i], _mm256_sign_epi8(q, ws[i]));
          const __m256i p32 = _mm256_madd_epi16(p16, ones);
          acc[i][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_broadcast_ss(&s.sc[i * T + j][b]), acc[i][j]);
        }
      }
    }
  }
  float sums[R * T + 3];
  ReduceMany<R * T>(&acc[0][0], sums);
  for (int i = 0; i < R && r + i < r1; ++i) {
    for (int j = 0; j < T && t + j < t1; ++j) k.y[(t + j) * k.rows + r + i] = sums[i * T + j];
  }
}

template <bool kQ4>
CF_TARGET void TileQuant(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  thread_local QuantScratch s;
  for (int64_t t = t0; t < t1;) {
    if (t1 - t == 1) {
      for (int64_t r = r0; r < r1; r += 4) QuantBlock<4, 1, kQ4>(k, r, r1, t, t1, s);
      t += 1;
    } else {
      for (int64_t r = r0; r < r1; r += 2) QuantBlock<2, 2, kQ4>(k, r, r1, t, t1, s);
      t += 2;
    }
  }
}

// ---------------------------------------------------------------- activations

CF_TARGET void QuantizeAct(const float* x, int64_t nb, int8_t* q, float* d, int32_t* qsum) {
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t b = 0; b < nb; ++b, x += 32, q += 32) {
    __m256 v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm256_loadu_ps(x + 8 * i);
    __m256 a = _mm256_max_ps(_mm256_max_ps(_mm256_and_ps(v[0], abs_mask), _mm256_and_ps(v[1], abs_mask)),
                             _mm256_max_ps(_mm256_and_ps(v[2], abs_mask), _mm256_and_ps(v[3], abs_mask)));
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    const __m256 vid = _mm256_set1_ps(id);
    __m256i i32[4];
    for (int i = 0; i < 4; ++i) i32[i] = _mm256_cvtps_epi32(_mm256_mul_ps(v[i], vid));
    // packs work per 128-bit lane: fix the order with one permute at the end.
    const __m256i i16a = _mm256_packs_epi32(i32[0], i32[1]);
    const __m256i i16b = _mm256_packs_epi32(i32[2], i32[3]);
    const __m256i i8 = _mm256_packs_epi16(i16a, i16b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q), _mm256_permutevar8x32_epi32(i8, order));
    d[b] = db;
    const __m256i s32 = _mm256_add_epi32(_mm256_add_epi32(i32[0], i32[1]), _mm256_add_epi32(i32[2], i32[3]));
    const __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(s32), _mm256_extracti128_si256(s32, 1));
    const __m128i s2 = _mm_add_epi32(s4, _mm_unpackhi_epi64(s4, s4));
    qsum[b] = _mm_cvtsi128_si32(_mm_add_epi32(s2, _mm_srli_epi64(s2, 32)));
  }
}

// ---------------------------------------------------------------- element-wise

CF_TARGET void RmsNormAvx2(const float* x, const float* weight, int64_t n, float eps, float* y) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  if (i < n) {
    const __m256 v = _mm256_maskload_ps(x + i, LaneMask(n - i));
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  float sum[4];
  ReduceMany<1>(&acc, sum);
  const __m256 scale =
      _mm256_set1_ps(static_cast<float>(1.0 / std::sqrt(static_cast<double>(sum[0]) / static_cast<double>(n) + eps)));
  for (i = 0; i < n; i += 8) {
    const __m256i m = LaneMask(n - i);
    __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, m), scale);
    if (weight) v = _mm256_mul_ps(v, _mm256_maskload_ps(weight + i, m));
    _mm256_maskstore_ps(y + i, m, v);
  }
}

CF_TARGET void SoftmaxAvx2(float* x, int64_t n) {
  if (n <= 0) return;
  __m256 mx = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + i));
  float max = -INFINITY;
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, mx);
  for (float v : lanes) max = std::fmax(max, v);
  for (; i < n; ++i) max = std::fmax(max, x[i]);
  if (std::isinf(max) && max < 0) {
    std::fill(x, x + n, 0.0f);
    return;
  }
  const __m256 vmax = _mm256_set1_ps(max);
  __m256 sum = _mm256_setzero_ps();
  for (i = 0; i < n; i += 8) {
    const __m256i m = LaneMask(n - i);
    const __m256 e = _mm256_and_ps(Exp256(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vmax)), _mm256_castsi256_ps(m));
    _mm256_maskstore_ps(x + i, m, e);
    sum = _mm256_add_ps(sum, e);
  }
  float total[4];
  ReduceMany<1>(&sum, total);
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / static_cast<double>(total[0])));
  for (i = 0; i < n; i += 8) {
    const __m256i m = LaneMask(n - i);
    _mm256_maskstore_ps(x + i, m, _mm256_mul_ps(_mm256_maskload_ps(x + i, m), inv));
  }
}

CF_TARGET void SwiGluAvx2(const float* gate, const float* up, float* out, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i m = LaneMask(n - i);
    const __m256 g = _mm256_maskload_ps(gate + i, m);
    const __m256 u = _mm256_maskload_ps(up + i, m);
    const __m256 e = Exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_maskstore_ps(out + i, m, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u));
  }
}

CF_TARGET void DequantizeRowAvx2(TensorType type, const uint8_t* row, int64_t cols, float* out) {
  switch (type) {
    case TensorType::kF32:
      std::memcpy(out, row, static_cast<size_t>(cols) * 4);
      return;
    case TensorType::kF16: {
      int64_t i = 0;
      for (; i + 8 <= cols; i += 8) {
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 2 * i))));
      }
      for (; i < cols; ++i) out[i] = HalfToFloat(row + 2 * i);
      return;
    }
    case TensorType::kQ8_0:
    case TensorType::kQ4_0: {
      const bool q4 = type == TensorType::kQ4_0;
      const int64_t bytes = q4 ? kQ4Bytes : kQ8Bytes;
      for (int64_t b = 0; b < cols / 32; ++b, row += bytes, out += 32) {
        const __m256 d = _mm256_set1_ps(HalfToFloat(row));
        const __m256i codes = q4 ? SignedCodes<true>(row) : SignedCodes<false>(row);
        const __m128i lo = _mm256_castsi256_si128(codes), hi = _mm256_extracti128_si256(codes, 1);
        const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
        for (int i = 0; i < 4; ++i) {
          _mm256_storeu_ps(out + 8 * i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[i])), d));
        }
      }
      return;
    }
  }
}

//! F16C's vcvtps2ph rounds to nearest even and quiets NaNs exactly as
//! gguf::Fp32ToFp16 does.
CF_TARGET void Fp32ToFp16Avx2(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                     _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
  }
  for (; i < n; ++i) y[i] = gguf::Fp32ToFp16(x[i]);
}

}  // namespace

const KernelTable& Avx2Kernels() {
  static const KernelTable table = [] {
    KernelTable t;
    t.path = KernelPath::kAvx2;
    t.matmul_f32 = TileFloat<false>;
    t.matmul_f16 = TileFloat<true>;
    t.matmul_q8_0 = TileQuant<false>;
    t.matmul_q4_0 = TileQuant<true>;
    t.quantize_act = QuantizeAct;
    t.rms_norm = RmsNormAvx2;
    t.softmax = SoftmaxAvx2;
    t.swiglu = SwiGluAvx2;
    t.fp32_to_fp16 = Fp32ToFp16Avx2;
    t.dequantize_row = DequantizeRowAvx2;
    return t;
  }();
  return table;
}

}  // namespace capsfusion::engine
