#include "engine/attention.h"

// GCC 12's AVX-512 headers initialise placeholder operands from themselves,
// which -Wall reports at every inlined use; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/cpu_features.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {

namespace {

// ---------------------------------------------------------------------------
// Kernel set: scores of one block of keys, softmax, weighted sum of values.

struct AttnKernels {
  const char* name;
  //! s[r] = sum_d q[d] * kt[d * bs + r] for r < bs.
  void (*block_scores)(const float* q, const float* kt, int hd, int bs, float* s);
  //! s[i] = exp(s[i] - max); returns the sum.
  float (*exp_normalise)(float* s, int n);
  //! out[d] += sum_{r < n} p[r] * v[r * hd + d].
  void (*accumulate)(const float* p, const float* v, int n, int hd, float* out);
};

void BlockScoresGeneric(const float* q, const float* kt, int hd, int bs, float* s) {
  for (int r = 0; r < bs; ++r) s[r] = 0;
  for (int d = 0; d < hd; ++d) {
    const float qd = q[d];
    const float* row = kt + static_cast<size_t>(d) * bs;
    for (int r = 0; r < bs; ++r) s[r] += qd * row[r];
  }
}

float ExpNormaliseGeneric(float* s, int n) {
  float mx = s[0];
  for (int i = 1; i < n; ++i) mx = std::max(mx, s[i]);
  float sum = 0;
  for (int i = 0; i < n; ++i) {
    s[i] = std::exp(s[i] - mx);
    sum += s[i];
  }
  return sum;
}

void AccumulateGeneric(const float* p, const float* v, int n, int hd, float* out) {
  for (int r = 0; r < n; ++r) {
    const float pr = p[r];
    const float* row = v + static_cast<size_t>(r) * hd;
    for (int d = 0; d < hd; ++d) out[d] += pr * row[d];
  }
}

// Cephes-style single precision exp: 2^n * P(r), |error| ~ 1 ulp on the
// range softmax needs (inputs <= 0); values below -87.3 give 0.
#define CF_EXP_CONSTANTS                              \
  constexpr float kLog2e = 1.44269504088896341f;      \
  constexpr float kC1 = 0.693359375f;                 \
  constexpr float kC2 = -2.12194440e-4f;              \
  constexpr float kP0 = 1.9875691500e-4f;             \
  constexpr float kP1 = 1.3981999507e-3f;             \
  constexpr float kP2 = 8.3334519073e-3f;             \
  constexpr float kP3 = 4.1665795894e-2f;             \
  constexpr float kP4 = 1.6666665459e-1f;             \
  constexpr float kP5 = 5.0000001201e-1f;

__attribute__((target("avx512f"))) inline __m512 Exp512(__m512 x) {
  CF_EXP_CONSTANTS
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

__attribute__((target("avx2,fma"))) inline __m256 Exp256(__m256 x) {
  CF_EXP_CONSTANTS
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

// --- AVX-512 (block_size 16, head_dim % 16 == 0) ---------------------------

__attribute__((target("avx512f"))) void BlockScores512(const float* q, const float* kt, int hd, int bs,
                                                       float* s) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(),
         a3 = _mm512_setzero_ps();
  int d = 0;
  for (; d + 4 <= hd; d += 4) {
    a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(kt + (d + 0) * 16), a0);
    a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), _mm512_loadu_ps(kt + (d + 1) * 16), a1);
    a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), _mm512_loadu_ps(kt + (d + 2) * 16), a2);
    a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), _mm512_loadu_ps(kt + (d + 3) * 16), a3);
  }
  for (; d < hd; ++d) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(kt + d * 16), a0);
  _mm512_storeu_ps(s, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

// Horizontal reductions through memory (the intrinsic versions trip GCC 12's
// uninitialised-variable warnings inside its own headers).
__attribute__((target("avx512f"))) inline float HMax512(__m512 v) {
  alignas(64) float l[16];
  _mm512_store_ps(l, v);
  float m = l[0];
  for (int i = 1; i < 16; ++i) m = std::max(m, l[i]);
  return m;
}

__attribute__((target("avx512f"))) inline float HSum512(__m512 v) {
  alignas(64) float l[16];
  _mm512_store_ps(l, v);
  float s = 0;
  for (int i = 0; i < 16; ++i) s += l[i];
  return s;
}

__attribute__((target("avx512f"))) float ExpNormalise512(float* s, int n) {
  __m512 vmax = _mm512_set1_ps(-INFINITY);
  int i = 0;
  for (; i + 16 <= n; i += 16) vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(s + i));
  float mx = HMax512(vmax);
  for (; i < n; ++i) mx = std::max(mx, s[i]);
  const __m512 m = _mm512_set1_ps(mx);
  __m512 vsum = _mm512_setzero_ps();
  i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_loadu_ps(s + i), m));
    _mm512_storeu_ps(s + i, e);
    vsum = _mm512_add_ps(vsum, e);
  }
  if (i < n) {
    const __mmask16 k = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 e = Exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + i), m));
    _mm512_mask_storeu_ps(s + i, k, e);
    vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(k, e));
  }
  return HSum512(vsum);
}

__attribute__((target("avx512f"))) void Accumulate512(const float* p, const float* v, int n, int hd,
                                                      float* out) {
  for (int d0 = 0; d0 < hd; d0 += 64) {
    const int w = std::min(64, hd - d0) / 16;  // 1..4 vectors
    __m512 acc[4];
    for (int k = 0; k < w; ++k) acc[k] = _mm512_loadu_ps(out + d0 + 16 * k);
    for (int r = 0; r < n; ++r) {
      const __m512 pr = _mm512_set1_ps(p[r]);
      const float* row = v + static_cast<size_t>(r) * hd + d0;
      for (int k = 0; k < w; ++k) acc[k] = _mm512_fmadd_ps(pr, _mm512_loadu_ps(row + 16 * k), acc[k]);
    }
    for (int k = 0; k < w; ++k) _mm512_storeu_ps(out + d0 + 16 * k, acc[k]);
  }
}

// --- AVX2 (block_size 16, head_dim % 8 == 0) -------------------------------

__attribute__((target("avx2,fma"))) void BlockScores256(const float* q, const float* kt, int hd, int bs,
                                                        float* s) {
  __m256 lo0 = _mm256_setzero_ps(), hi0 = _mm256_setzero_ps();
  __m256 lo1 = _mm256_setzero_ps(), hi1 = _mm256_setzero_ps();
  int d = 0;
  for (; d + 2 <= hd; d += 2) {
    const __m256 q0 = _mm256_set1_ps(q[d]), q1 = _mm256_set1_ps(q[d + 1]);
    lo0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(kt + d * 16), lo0);
    hi0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(kt + d * 16 + 8), hi0);
    lo1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(kt + (d + 1) * 16), lo1);
    hi1 = _mm256_fmadd_ps(q1, _mm256_loadu_ps(kt + (d + 1) * 16 + 8), hi1);
  }
  for (; d < hd; ++d) {
    const __m256 q0 = _mm256_set1_ps(q[d]);
    lo0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(kt + d * 16), lo0);
    hi0 = _mm256_fmadd_ps(q0, _mm256_loadu_ps(kt + d * 16 + 8), hi0);
  }
  _mm256_storeu_ps(s, _mm256_add_ps(lo0, lo1));
  _mm256_storeu_ps(s + 8, _mm256_add_ps(hi0, hi1));
}

__attribute__((target("avx2,fma"))) float ExpNormalise256(float* s, int n) {
  float mx = s[0];
  for (int i = 1; i < n; ++i) mx = std::max(mx, s[i]);
  const __m256 m = _mm256_set1_ps(mx);
  __m256 vsum = _mm256_setzero_ps();
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = Exp256(_mm256_sub_ps(_mm256_loadu_ps(s + i), m));
    _mm256_storeu_ps(s + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, vsum);
  float sum = 0;
  for (float l : lanes) sum += l;
  for (; i < n; ++i) {
    s[i] = std::exp(s[i] - mx);
    sum += s[i];
  }
  return sum;
}

__attribute__((target("avx2,fma"))) void Accumulate256(const float* p, const float* v, int n, int hd,
                                                       float* out) {
  for (int d0 = 0; d0 < hd; d0 += 32) {
    const int w = std::min(32, hd - d0) / 8;
    __m256 acc[4];
    for (int k = 0; k < w; ++k) acc[k] = _mm256_loadu_ps(out + d0 + 8 * k);
    for (int r = 0; r < n; ++r) {
      const __m256 pr = _mm256_set1_ps(p[r]);
      const float* row = v + static_cast<size_t>(r) * hd + d0;
      for (int k = 0; k < w; ++k) acc[k] = _mm256_fmadd_ps(pr, _mm256_loadu_ps(row + 8 * k), acc[k]);
    }
    for (int k = 0; k < w; ++k) _mm256_storeu_ps(out + d0 + 8 * k, acc[k]);
  }
}

constexpr AttnKernels kGeneric{"generic", BlockScoresGeneric, ExpNormaliseGeneric, AccumulateGeneric};
constexpr AttnKernels kAvx2{"avx2", BlockScores256, ExpNormalise256, Accumulate256};
constexpr AttnKernels kAvx512{"avx512", BlockScores512, ExpNormalise512, Accumulate512};

const AttnKernels& BestKernels() {
  static const AttnKernels* k = [] {
    const CpuFeatures& cpu = DetectCpu();
    if (cpu.avx512f) return &kAvx512;
    if (cpu.avx2 && cpu.fma) return &kAvx2;
    return &kGeneric;
  }();
  return *k;
}

const AttnKernels& AttnKernelsFor(int head_dim, int block_size) {
  const AttnKernels& best = BestKernels();
  if (block_size != 16) return kGeneric;
  if (&best == &kAvx512 && head_dim % 16 == 0) return kAvx512;
  if ((&best == &kAvx512 || &best == &kAvx2) && head_dim % 8 == 0) return kAvx2;
  return kGeneric;
}

}  // namespace

const char* AttentionPath() { return BestKernels().name; }

void StoreKv(const KvCache& cache, int layer, int seq, int pos, const float* k, const float* v) {
  const int bs = cache.block_size();
  const int hd = cache.config().head_dim;
  const int32_t block = cache.blocks(seq)[pos / bs];
  const int r = pos % bs;
  for (int h = 0; h < cache.config().n_kv_head; ++h) {
    float* kt = cache.keys(block, layer, h);
    const float* kh = k + static_cast<size_t>(h) * hd;
    for (int d = 0; d < hd; ++d) kt[static_cast<size_t>(d) * bs + r] = kh[d];
    std::memcpy(cache.values(block, layer, h) + static_cast<size_t>(r) * hd, v + static_cast<size_t>(h) * hd,
                sizeof(float) * hd);
  }
}

void AttendBatch(const KvCache& cache, int layer, const AttentionShape& shape, const float* q,
                 const int32_t* seq, const int32_t* pos, int64_t n_tokens, int32_t max_pos, float* out,
                 ThreadPool* pool) {
  const int hd = shape.head_dim;
  const int bs = cache.block_size();
  const int group = shape.n_head / shape.n_kv_head;
  const size_t q_stride = static_cast<size_t>(shape.n_head) * hd;
  const AttnKernels& kern = AttnKernelsFor(hd, bs);
  const size_t score_len = (static_cast<size_t>(max_pos) / bs + 1) * bs;

  auto work = [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores, qs;
    if (scores.size() < score_len) scores.resize(score_len);
    if (qs.size() < static_cast<size_t>(hd)) qs.resize(hd);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / shape.n_kv_head;
      const int g = static_cast<int>(item % shape.n_kv_head);
      const std::vector<int32_t>& table = cache.blocks(seq[t]);
      const int n = pos[t] + 1;
      const int n_blocks = (n + bs - 1) / bs;
      for (int h = g * group; h < (g + 1) * group; ++h) {
        const float* qh = q + t * q_stride + static_cast<size_t>(h) * hd;
        for (int d = 0; d < hd; ++d) qs[d] = qh[d] * shape.scale;
        for (int j = 0; j < n_blocks; ++j) {
          kern.block_scores(qs.data(), cache.keys(table[j], layer, g), hd, bs, scores.data() + j * bs);
        }
        const float inv_sum = 1.0f / kern.exp_normalise(scores.data(), n);
        float* oh = out + t * q_stride + static_cast<size_t>(h) * hd;
        std::memset(oh, 0, sizeof(float) * hd);
        for (int j = 0; j < n_blocks; ++j) {
          const int rows = std::min(bs, n - j * bs);
          kern.accumulate(scores.data() + j * bs, cache.values(table[j], layer, g), rows, hd, oh);
        }
        for (int d = 0; d < hd; ++d) oh[d] *= inv_sum;
      }
    }
  };
  const int64_t items = n_tokens * shape.n_kv_head;
  if (pool == nullptr || items == 1) {
    work(0, items);
  } else {
    pool->ParallelFor(items, work, 1);
  }
}

}  // namespace capsfusion::engine
