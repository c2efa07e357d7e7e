#include "engine/copy_sources.h"

// GCC 12's AVX-512 headers initialise placeholder operands from themselves,
// which -Wall reports at every inlined use; the code is fine.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <immintrin.h>

#include <algorithm>

#include "engine/cpu_features.h"
#include "engine/kv_elements.h"

namespace capsfusion::engine {
namespace {

//! Element d of the value row of position r of a block (head 0 holds the flags).
float ValueAt(const KvCache& cache, int32_t block, int layer, int r, int d, bool f16) {
  return LoadKv1(cache.values(block, layer, 0), static_cast<size_t>(r) * cache.config().head_dim + d, f16);
}

int32_t TokenId(const KvCache& cache, int32_t block, int layer, int r, bool f16) {
  return static_cast<int32_t>(ValueAt(cache, block, layer, r, 2, f16) * kCopyIdBase +
                              ValueAt(cache, block, layer, r, 3, f16));
}

//! The key dims of head h that the first C dims cover.
int HeadDims(int h, int hd, int C) { return std::max(0, std::min(hd, C - h * hd)); }

//! The dots of the 16 positions of one block (block_size 16): lane r is
//! sum_d q[d] * key_r[d], a multiply then an add per d, in order.
template <typename T>
__attribute__((target("avx512f"))) void BlockDots(const KvCache& cache, int32_t block, int layer, const float* q,
                                                  int C, float* dots) {
  const int hd = cache.config().head_dim;
  __m512 acc = _mm512_setzero_ps();
  for (int h = 0; h * hd < C; ++h) {
    const T* kt = static_cast<const T*>(cache.keys(block, layer, h));
    const float* qh = q + h * hd;
    const int dims = HeadDims(h, hd, C);
    for (int d = 0; d < dims; ++d) {
      acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(qh[d]), LoadKv16(kt + static_cast<size_t>(d) * 16)));
    }
  }
  _mm512_storeu_ps(dots, acc);
}

template <typename T>
__attribute__((target("avx512f"))) void Collect512(const KvCache& cache, int layer, int seq, int pos,
                                                   const float* q, int C, float scale, std::vector<float>* scores,
                                                   std::vector<int32_t>* ids) {
  const bool f16 = cache.config().type == KvType::kF16;
  const std::vector<int32_t>& table = cache.blocks(seq);
  alignas(64) float dots[16];
  for (int j = 0; j * 16 <= pos; ++j) {
    const int32_t block = table[j];
    const int rows = std::min(16, pos + 1 - j * 16);
    bool any = false;
    for (int r = 0; r < rows && !any; ++r) any = ValueAt(cache, block, layer, r, 0, f16) != 0.0f;
    if (!any) continue;
    BlockDots<T>(cache, block, layer, q, C, dots);
    for (int r = 0; r < rows; ++r) {
      if (ValueAt(cache, block, layer, r, 0, f16) == 0.0f) continue;
      scores->push_back(dots[r] * scale);
      ids->push_back(TokenId(cache, block, layer, r, f16));
    }
  }
}

}  // namespace

void ReadCopyValues(const KvCache& cache, int layer, int seq, int pos, float* out) {
  const int bs = cache.block_size();
  const int32_t block = cache.blocks(seq)[pos / bs];
  const bool f16 = cache.config().type == KvType::kF16;
  for (int d = 0; d < kCopyValues; ++d) out[d] = ValueAt(cache, block, layer, pos % bs, d, f16);
}

void CollectCopySourcesGeneric(const KvCache& cache, int layer, int seq, int pos, const float* q, int C,
                               float scale, std::vector<float>* scores, std::vector<int32_t>* ids) {
  const KvCacheConfig& cfg = cache.config();
  const int bs = cache.block_size(), hd = cfg.head_dim;
  const bool f16 = cfg.type == KvType::kF16;
  const std::vector<int32_t>& table = cache.blocks(seq);
  for (int p = 0; p <= pos; ++p) {
    const int32_t block = table[p / bs];
    const int r = p % bs;
    if (ValueAt(cache, block, layer, r, 0, f16) == 0.0f) continue;
    float dot = 0;
    for (int h = 0; h * hd < C; ++h) {
      const void* kt = cache.keys(block, layer, h);
      const float* qh = q + h * hd;
      const int dims = HeadDims(h, hd, C);
      for (int d = 0; d < dims; ++d) dot += qh[d] * LoadKv1(kt, static_cast<size_t>(d) * bs + r, f16);
    }
    scores->push_back(dot * scale);
    ids->push_back(TokenId(cache, block, layer, r, f16));
  }
}

void CollectCopySources(const KvCache& cache, int layer, int seq, int pos, const float* q, int C, float scale,
                        std::vector<float>* scores, std::vector<int32_t>* ids) {
  static const bool avx512 = DetectCpu().avx512f && DetectCpu().f16c;
  if (avx512 && cache.block_size() == 16) {
    if (cache.config().type == KvType::kF16) {
      Collect512<uint16_t>(cache, layer, seq, pos, q, C, scale, scores, ids);
    } else {
      Collect512<float>(cache, layer, seq, pos, q, C, scale, scores, ids);
    }
    return;
  }
  CollectCopySourcesGeneric(cache, layer, seq, pos, q, C, scale, scores, ids);
}

}  // namespace capsfusion::engine
