// The copy head's scan over a sequence's sources (capsfusion_copy_model.h):
// for one position, the attention scores q . k_p * scale of every source
// position p up to it and the token ids those positions hold, both read back
// from the copy layer of the KV cache.
//
// Each score is computed exactly as the plain loop
//   dot = 0; for d < C: dot += q[d] * key_p[d]   (a multiply, then an add)
// so the AVX-512 path, which scores the 16 positions of a cache block at once
// from the transposed key block, gives the same bits as the portable one.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kv_cache.h"

namespace capsfusion::engine {

//! Value elements of the copy layer: source flag, end flag, token id / 2048,
//! token id % 2048.
constexpr int kCopyValues = 4;
//! The base of the two-part token ids (F16 holds every integer up to 2048 exactly).
constexpr float kCopyIdBase = 2048.0f;

//! The kCopyValues values (flags and id) of position `pos` of `seq`.
void ReadCopyValues(const KvCache& cache, int layer, int seq, int pos, float* out);

//! Appends to `scores` and `ids`, in position order, the score and token id of
//! every source position p <= pos of `seq` (q: C floats, C <= the cache's
//! kv_dim).
void CollectCopySources(const KvCache& cache, int layer, int seq, int pos, const float* q, int C, float scale,
                        std::vector<float>* scores, std::vector<int32_t>* ids);

//! The portable form of CollectCopySources (the reference of the tests).
void CollectCopySourcesGeneric(const KvCache& cache, int layer, int seq, int pos, const float* q, int C,
                               float scale, std::vector<float>* scores, std::vector<int32_t>* ids);

}  // namespace capsfusion::engine
