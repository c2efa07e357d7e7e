#include "engine/attention.h"

// GCC 12's AVX-512 headers initialise placeholder operands from themselves,
// which -Wall reports at every inlined use; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/attention_group.h"
#include "engine/cpu_features.h"
#include "engine/kernels.h"
#include "engine/kv_elements.h"
#include "gguf/tensor_types.h"
#include "engine/thread_pool.h"
#include "engine/vec_exp.h"

namespace capsfusion::engine {

namespace {

// ---------------------------------------------------------------------------
// Kernel set. A sequence's keys and values are given as one pointer per block
// (block_size positions each); n is the number of positions.

using BlockPtr = const uint8_t*;

struct AttnKernels {
  const char* name;
  //! s[j * bs + r] = sum_d q[d] * kt_j[d * bs + r] for every block j < nb.
  void (*scores)(const float* q, const BlockPtr* kt, int nb, int hd, int bs, float* s);
  //! s[i] = exp(s[i] - max); returns the sum.
  float (*exp_normalise)(float* s, int n);
  //! out[d] = scale * sum_{r < n} p[r] * v_{r / bs}[(r % bs) * hd + d].
  void (*accumulate)(const float* p, const BlockPtr* v, int n, int hd, int bs, float scale, float* out);
};

// Element loads: F32 as is, F16 (uint16_t) converted (LoadKv1 and LoadKv16 in
// kv_elements.h; the AVX2 width here).
__attribute__((target("avx2,fma,f16c"))) inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
__attribute__((target("avx2,fma,f16c"))) inline __m256 Load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
template <typename T>
inline const T* As(BlockPtr p) {
  return reinterpret_cast<const T*>(p);
}

template <typename T>
void ScoresGeneric(const float* q, const BlockPtr* kt, int nb, int hd, int bs, float* s) {
  for (int j = 0; j < nb; ++j) {
    float* sj = s + static_cast<size_t>(j) * bs;
    for (int r = 0; r < bs; ++r) sj[r] = 0;
    for (int d = 0; d < hd; ++d) {
      const float qd = q[d];
      const T* row = As<T>(kt[j]) + static_cast<size_t>(d) * bs;
      for (int r = 0; r < bs; ++r) sj[r] += qd * LoadKv1(row + r);
    }
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

template <typename T>
void AccumulateGeneric(const float* p, const BlockPtr* v, int n, int hd, int bs, float scale, float* out) {
  for (int d = 0; d < hd; ++d) out[d] = 0;
  for (int r = 0; r < n; ++r) {
    const float pr = p[r];
    const T* row = As<T>(v[r / bs]) + static_cast<size_t>(r % bs) * hd;
    for (int d = 0; d < hd; ++d) out[d] += pr * LoadKv1(row + d);
  }
  for (int d = 0; d < hd; ++d) out[d] *= scale;
}

// --- AVX-512 (block_size 16, head_dim % 16 == 0) ---------------------------

// Two blocks at a time, two FMA chains each: four independent chains.
template <typename T>
__attribute__((target("avx512f"))) void Scores512(const float* q, const BlockPtr* kt, int nb, int hd, int,
                                                  float* s) {
  int j = 0;
  for (; j + 2 <= nb; j += 2) {
    const T* k0 = As<T>(kt[j]);
    const T* k1 = As<T>(kt[j + 1]);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
    int d = 0;
    for (; d + 2 <= hd; d += 2) {
      const __m512 q0 = _mm512_set1_ps(q[d]), q1 = _mm512_set1_ps(q[d + 1]);
      a0 = _mm512_fmadd_ps(q0, LoadKv16(k0 + d * 16), a0);
      b0 = _mm512_fmadd_ps(q0, LoadKv16(k1 + d * 16), b0);
      a1 = _mm512_fmadd_ps(q1, LoadKv16(k0 + d * 16 + 16), a1);
      b1 = _mm512_fmadd_ps(q1, LoadKv16(k1 + d * 16 + 16), b1);
    }
    for (; d < hd; ++d) {
      const __m512 q0 = _mm512_set1_ps(q[d]);
      a0 = _mm512_fmadd_ps(q0, LoadKv16(k0 + d * 16), a0);
      b0 = _mm512_fmadd_ps(q0, LoadKv16(k1 + d * 16), b0);
    }
    _mm512_storeu_ps(s + j * 16, _mm512_add_ps(a0, a1));
    _mm512_storeu_ps(s + j * 16 + 16, _mm512_add_ps(b0, b1));
  }
  if (j < nb) {
    const T* k0 = As<T>(kt[j]);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(),
           a3 = _mm512_setzero_ps();
    int d = 0;
    for (; d + 4 <= hd; d += 4) {
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k0 + d * 16), a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), LoadKv16(k0 + d * 16 + 16), a1);
      a2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), LoadKv16(k0 + d * 16 + 32), a2);
      a3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), LoadKv16(k0 + d * 16 + 48), a3);
    }
    for (; d < hd; ++d) a0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), LoadKv16(k0 + d * 16), a0);
    _mm512_storeu_ps(s + j * 16, _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
  }
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

// W vectors of 16 per value row (a 16 * W slice of head_dim starting at d0),
// U rows in flight with their own accumulators so the FMA chains overlap.
template <typename T, int W, int U>
__attribute__((target("avx512f"))) void AccumulateSlice512(const float* p, const BlockPtr* v, int n, int hd,
                                                           int d0, float scale, float* out) {
  __m512 acc[U][W];
  for (int u = 0; u < U; ++u) {
    for (int w = 0; w < W; ++w) acc[u][w] = _mm512_setzero_ps();
  }
  for (int j = 0; j * 16 < n; ++j) {
    const T* vb = As<T>(v[j]) + d0;
    const int rows = std::min(16, n - j * 16);
    const float* pj = p + j * 16;
    int r = 0;
    for (; r + U <= rows; r += U) {
      for (int u = 0; u < U; ++u) {
        const __m512 pr = _mm512_set1_ps(pj[r + u]);
        const T* row = vb + static_cast<size_t>(r + u) * hd;
        for (int w = 0; w < W; ++w) acc[u][w] = _mm512_fmadd_ps(pr, LoadKv16(row + 16 * w), acc[u][w]);
      }
    }
    for (; r < rows; ++r) {
      const __m512 pr = _mm512_set1_ps(pj[r]);
      const T* row = vb + static_cast<size_t>(r) * hd;
      for (int w = 0; w < W; ++w) acc[0][w] = _mm512_fmadd_ps(pr, LoadKv16(row + 16 * w), acc[0][w]);
    }
  }
  const __m512 sc = _mm512_set1_ps(scale);
  for (int w = 0; w < W; ++w) {
    __m512 t = acc[0][w];
    for (int u = 1; u < U; ++u) t = _mm512_add_ps(t, acc[u][w]);
    _mm512_storeu_ps(out + d0 + 16 * w, _mm512_mul_ps(t, sc));
  }
}

template <typename T>
__attribute__((target("avx512f"))) void Accumulate512(const float* p, const BlockPtr* v, int n, int hd, int,
                                                      float scale, float* out) {
  int d0 = 0;
  for (; d0 + 64 <= hd; d0 += 64) AccumulateSlice512<T, 4, 4>(p, v, n, hd, d0, scale, out);
  switch ((hd - d0) / 16) {
    case 3: AccumulateSlice512<T, 3, 4>(p, v, n, hd, d0, scale, out); break;
    case 2: AccumulateSlice512<T, 2, 4>(p, v, n, hd, d0, scale, out); break;
    case 1: AccumulateSlice512<T, 1, 4>(p, v, n, hd, d0, scale, out); break;
    default: break;
  }
}

// --- AVX2 (block_size 16, head_dim % 8 == 0) -------------------------------

template <typename T>
__attribute__((target("avx2,fma,f16c"))) void Scores256(const float* q, const BlockPtr* kt, int nb, int hd, int,
                                                        float* s) {
  for (int j = 0; j < nb; ++j) {
    const T* k0 = As<T>(kt[j]);
    __m256 lo0 = _mm256_setzero_ps(), hi0 = _mm256_setzero_ps();
    __m256 lo1 = _mm256_setzero_ps(), hi1 = _mm256_setzero_ps();
    int d = 0;
    for (; d + 2 <= hd; d += 2) {
      const __m256 q0 = _mm256_set1_ps(q[d]), q1 = _mm256_set1_ps(q[d + 1]);
      lo0 = _mm256_fmadd_ps(q0, Load8(k0 + d * 16), lo0);
      hi0 = _mm256_fmadd_ps(q0, Load8(k0 + d * 16 + 8), hi0);
      lo1 = _mm256_fmadd_ps(q1, Load8(k0 + d * 16 + 16), lo1);
      hi1 = _mm256_fmadd_ps(q1, Load8(k0 + d * 16 + 24), hi1);
    }
    for (; d < hd; ++d) {
      const __m256 q0 = _mm256_set1_ps(q[d]);
      lo0 = _mm256_fmadd_ps(q0, Load8(k0 + d * 16), lo0);
      hi0 = _mm256_fmadd_ps(q0, Load8(k0 + d * 16 + 8), hi0);
    }
    _mm256_storeu_ps(s + j * 16, _mm256_add_ps(lo0, lo1));
    _mm256_storeu_ps(s + j * 16 + 8, _mm256_add_ps(hi0, hi1));
  }
}

__attribute__((target("avx2,fma,f16c"))) float ExpNormalise256(float* s, int n) {
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

template <typename T, int W, int U>
__attribute__((target("avx2,fma,f16c"))) void AccumulateSlice256(const float* p, const BlockPtr* v, int n, int hd,
                                                                 int d0, float scale, float* out) {
  __m256 acc[U][W];
  for (int u = 0; u < U; ++u) {
    for (int w = 0; w < W; ++w) acc[u][w] = _mm256_setzero_ps();
  }
  for (int j = 0; j * 16 < n; ++j) {
    const T* vb = As<T>(v[j]) + d0;
    const int rows = std::min(16, n - j * 16);
    const float* pj = p + j * 16;
    int r = 0;
    for (; r + U <= rows; r += U) {
      for (int u = 0; u < U; ++u) {
        const __m256 pr = _mm256_set1_ps(pj[r + u]);
        const T* row = vb + static_cast<size_t>(r + u) * hd;
        for (int w = 0; w < W; ++w) acc[u][w] = _mm256_fmadd_ps(pr, Load8(row + 8 * w), acc[u][w]);
      }
    }
    for (; r < rows; ++r) {
      const __m256 pr = _mm256_set1_ps(pj[r]);
      const T* row = vb + static_cast<size_t>(r) * hd;
      for (int w = 0; w < W; ++w) acc[0][w] = _mm256_fmadd_ps(pr, Load8(row + 8 * w), acc[0][w]);
    }
  }
  const __m256 sc = _mm256_set1_ps(scale);
  for (int w = 0; w < W; ++w) {
    __m256 t = acc[0][w];
    for (int u = 1; u < U; ++u) t = _mm256_add_ps(t, acc[u][w]);
    _mm256_storeu_ps(out + d0 + 8 * w, _mm256_mul_ps(t, sc));
  }
}

template <typename T>
__attribute__((target("avx2,fma,f16c"))) void Accumulate256(const float* p, const BlockPtr* v, int n, int hd, int,
                                                            float scale, float* out) {
  int d0 = 0;
  for (; d0 + 32 <= hd; d0 += 32) AccumulateSlice256<T, 4, 2>(p, v, n, hd, d0, scale, out);
  switch ((hd - d0) / 8) {
    case 3: AccumulateSlice256<T, 3, 2>(p, v, n, hd, d0, scale, out); break;
    case 2: AccumulateSlice256<T, 2, 2>(p, v, n, hd, d0, scale, out); break;
    case 1: AccumulateSlice256<T, 1, 4>(p, v, n, hd, d0, scale, out); break;
    default: break;
  }
}

template <typename T>
constexpr AttnKernels kGeneric{"generic", ScoresGeneric<T>, ExpNormaliseGeneric, AccumulateGeneric<T>};
template <typename T>
constexpr AttnKernels kAvx2{"avx2", Scores256<T>, ExpNormalise256, Accumulate256<T>};
template <typename T>
constexpr AttnKernels kAvx512{"avx512", Scores512<T>, ExpNormalise512, Accumulate512<T>};

enum class Simd { kGeneric, kAvx2, kAvx512 };

Simd BestSimd() {
  static const Simd s = [] {
    const CpuFeatures& cpu = DetectCpu();
    if (cpu.avx512f && cpu.avx2 && cpu.fma && cpu.f16c) return Simd::kAvx512;
    if (cpu.avx2 && cpu.fma && cpu.f16c) return Simd::kAvx2;
    return Simd::kGeneric;
  }();
  return s;
}

template <typename T>
const AttnKernels& KernelsForType(int head_dim, int block_size) {
  const Simd best = BestSimd();
  if (block_size != 16) return kGeneric<T>;
  if (best == Simd::kAvx512 && head_dim % 16 == 0) return kAvx512<T>;
  if (best != Simd::kGeneric && head_dim % 8 == 0) return kAvx2<T>;
  return kGeneric<T>;
}

const AttnKernels& AttnKernelsFor(KvType type, int head_dim, int block_size) {
  return type == KvType::kF16 ? KernelsForType<uint16_t>(head_dim, block_size)
                              : KernelsForType<float>(head_dim, block_size);
}

}  // namespace

const char* AttentionPath() {
  switch (BestSimd()) {
    case Simd::kAvx512: return "avx512";
    case Simd::kAvx2: return "avx2";
    default: return "generic";
  }
}

//! Head sizes up to this convert keys through a stack buffer.
constexpr int kMaxStoreHeadDim = 512;

void StoreKv(const KvCache& cache, int layer, int seq, int pos, const float* k, const float* v) {
  const int bs = cache.block_size();
  const int hd = cache.config().head_dim;
  const int32_t block = cache.blocks(seq)[pos / bs];
  const int r = pos % bs;
  const bool f16 = cache.config().type == KvType::kF16;
  for (int h = 0; h < cache.config().n_kv_head; ++h) {
    const float* kh = k + static_cast<size_t>(h) * hd;
    const float* vh = v + static_cast<size_t>(h) * hd;
    if (f16) {
      auto* kt = static_cast<uint16_t*>(cache.keys(block, layer, h));
      auto* vr = static_cast<uint16_t*>(cache.values(block, layer, h)) + static_cast<size_t>(r) * hd;
      uint16_t kbuf[kMaxStoreHeadDim];
      if (hd <= kMaxStoreHeadDim) {
        Fp32ToFp16Row(kh, kbuf, hd);
        for (int d = 0; d < hd; ++d) kt[static_cast<size_t>(d) * bs + r] = kbuf[d];
      } else {
        for (int d = 0; d < hd; ++d) kt[static_cast<size_t>(d) * bs + r] = gguf::Fp32ToFp16(kh[d]);
      }
      Fp32ToFp16Row(vh, vr, hd);
    } else {
      auto* kt = static_cast<float*>(cache.keys(block, layer, h));
      for (int d = 0; d < hd; ++d) kt[static_cast<size_t>(d) * bs + r] = kh[d];
      std::memcpy(static_cast<float*>(cache.values(block, layer, h)) + static_cast<size_t>(r) * hd, vh,
                  sizeof(float) * hd);
    }
  }
}

namespace {

//! Set by tests: AttendBatch takes the one-query path on every CPU.
std::atomic<bool> g_one_query_attention{false};

//! Most tokens attended together (their queries share the loads of the blocks
//! their sequences share).
constexpr int64_t kMaxGroupTokens = kMaxGroupQueries;

//! The AVX-512 path: consecutive tokens whose sequences start with the same
//! block (a prompt's tokens, a request's beams) are attended together, their
//! query heads of one KV head at a time (attention_group.h). Returns false,
//! doing nothing, when no two queries would share a block (one query per KV
//! head and no such tokens: single-sequence decoding), where the one-query
//! kernels are as fast without the grouping's bookkeeping.
template <typename T>
bool AttendGrouped(const KvCache& cache, int layer, const AttentionShape& shape, const float* q, const int32_t* seq,
                   const int32_t* pos, int64_t n_tokens, size_t score_len, float* out, ThreadPool* pool) {
  const int hd = shape.head_dim;
  const int group = shape.n_head / shape.n_kv_head;
  const size_t q_stride = static_cast<size_t>(shape.n_head) * hd;
  std::vector<int64_t> starts = {0};
  for (int64_t t = 1; t <= n_tokens; ++t) {
    if (t == n_tokens || t - starts.back() >= kMaxGroupTokens ||
        cache.blocks(seq[t])[0] != cache.blocks(seq[starts.back()])[0]) {
      starts.push_back(t);
    }
  }
  const int64_t n_groups = static_cast<int64_t>(starts.size()) - 1;
  if (n_groups == n_tokens && group == 1) return false;

  auto work = [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores, qs;
    thread_local std::vector<BlockPtr> kptr, vptr;
    const size_t max_blocks = score_len / 16;
    if (scores.size() < kMaxGroupQueries * score_len) scores.resize(kMaxGroupQueries * score_len);
    if (qs.size() < static_cast<size_t>(kMaxGroupQueries) * hd) qs.resize(static_cast<size_t>(kMaxGroupQueries) * hd);
    if (kptr.size() < kMaxGroupTokens * max_blocks) {
      kptr.resize(kMaxGroupTokens * max_blocks);
      vptr.resize(kMaxGroupTokens * max_blocks);
    }
    for (int64_t item = begin; item < end; ++item) {
      const int64_t gi = item / shape.n_kv_head;
      const int g = static_cast<int>(item % shape.n_kv_head);
      const int64_t t0 = starts[gi], t1 = starts[gi + 1];
      // The block pointers of each token's sequence (kv head g).
      for (int64_t t = t0; t < t1; ++t) {
        const std::vector<int32_t>& table = cache.blocks(seq[t]);
        const int n_blocks = (pos[t] + 16) / 16;
        BlockPtr* kp = kptr.data() + (t - t0) * max_blocks;
        BlockPtr* vp = vptr.data() + (t - t0) * max_blocks;
        for (int j = 0; j < n_blocks; ++j) {
          kp[j] = static_cast<BlockPtr>(cache.keys(table[j], layer, g));
          vp[j] = static_cast<BlockPtr>(cache.values(table[j], layer, g));
        }
      }
      // Queries (token, head) in chunks of kMaxGroupQueries.
      GroupQuery gq[kMaxGroupQueries];
      int nq = 0;
      auto flush = [&] {
        if (nq == 0) return;
        int shared = 1 << 30;
        for (int i = 0; i < nq; ++i) shared = std::min(shared, (gq[i].n + 15) / 16);
        for (int j = 0; j < shared; ++j) {
          bool same = true;
          for (int i = 1; i < nq && same; ++i) same = gq[i].k[j] == gq[0].k[j];
          if (!same) {
            shared = j;
            break;
          }
        }
        AttendGroup512<T>(gq, nq, shared, hd, ExpNormalise512);
        nq = 0;
      };
      for (int64_t t = t0; t < t1; ++t) {
        for (int h = g * group; h < (g + 1) * group; ++h) {
          const float* qh = q + t * q_stride + static_cast<size_t>(h) * hd;
          float* qsc = qs.data() + static_cast<size_t>(nq) * hd;
          for (int d = 0; d < hd; ++d) qsc[d] = qh[d] * shape.scale;
          GroupQuery& x = gq[nq];
          x.q = qsc;
          x.k = kptr.data() + (t - t0) * max_blocks;
          x.v = vptr.data() + (t - t0) * max_blocks;
          x.n = pos[t] + 1;
          x.scores = scores.data() + static_cast<size_t>(nq) * score_len;
          x.out = out + t * q_stride + static_cast<size_t>(h) * hd;
          if (++nq == kMaxGroupQueries) flush();
        }
      }
      flush();
    }
  };
  const int64_t items = n_groups * shape.n_kv_head;
  if (pool == nullptr || items == 1) {
    work(0, items);
  } else {
    pool->ParallelFor(items, work, 1);
  }
  return true;
}

}  // namespace

void SetOneQueryAttentionForTesting(bool one_query) { g_one_query_attention.store(one_query); }

void AttendBatch(const KvCache& cache, int layer, const AttentionShape& shape, const float* q,
                 const int32_t* seq, const int32_t* pos, int64_t n_tokens, int32_t max_pos, float* out,
                 ThreadPool* pool) {
  const int hd = shape.head_dim;
  const int bs = cache.block_size();
  const int group = shape.n_head / shape.n_kv_head;
  const size_t q_stride = static_cast<size_t>(shape.n_head) * hd;
  const AttnKernels& kern = AttnKernelsFor(cache.config().type, hd, bs);
  const size_t score_len = (static_cast<size_t>(max_pos) / bs + 1) * bs;
  const bool grouped = !g_one_query_attention.load(std::memory_order_relaxed);
  if (&kern == &kAvx512<uint16_t> && grouped &&
      AttendGrouped<uint16_t>(cache, layer, shape, q, seq, pos, n_tokens, score_len, out, pool)) {
    return;
  }
  if (&kern == &kAvx512<float> && grouped &&
      AttendGrouped<float>(cache, layer, shape, q, seq, pos, n_tokens, score_len, out, pool)) {
    return;
  }

  auto work = [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> scores, qs;
    thread_local std::vector<BlockPtr> kptr, vptr;
    if (scores.size() < score_len) scores.resize(score_len);
    if (qs.size() < static_cast<size_t>(hd)) qs.resize(hd);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / shape.n_kv_head;
      const int g = static_cast<int>(item % shape.n_kv_head);
      const std::vector<int32_t>& table = cache.blocks(seq[t]);
      const int n = pos[t] + 1;
      const int n_blocks = (n + bs - 1) / bs;
      kptr.resize(n_blocks);
      vptr.resize(n_blocks);
      for (int j = 0; j < n_blocks; ++j) {
        kptr[j] = static_cast<BlockPtr>(cache.keys(table[j], layer, g));
        vptr[j] = static_cast<BlockPtr>(cache.values(table[j], layer, g));
      }
      for (int h = g * group; h < (g + 1) * group; ++h) {
        const float* qh = q + t * q_stride + static_cast<size_t>(h) * hd;
        for (int d = 0; d < hd; ++d) qs[d] = qh[d] * shape.scale;
        kern.scores(qs.data(), kptr.data(), n_blocks, hd, bs, scores.data());
        const float inv_sum = 1.0f / kern.exp_normalise(scores.data(), n);
        kern.accumulate(scores.data(), vptr.data(), n, hd, bs, inv_sum,
                        out + t * q_stride + static_cast<size_t>(h) * hd);
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
