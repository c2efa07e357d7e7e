// Causal self-attention of a batch of tokens over the paged KV cache.
//
// Token t of the batch belongs to sequence seq[t] at position pos[t]; it attends
// to positions [0, pos[t]] of its own sequence (its own key and value must
// already be stored). Work is split over (token, KV head) pairs; the query heads
// of a group share their KV head's loads (grouped-query attention). Scores are
// computed a whole block of keys at a time from the transposed key layout, the
// softmax uses a vectorised exp, and the weighted sum of values is vectorised
// over head_dim. The result for a token depends only on its query and its
// sequence's cache, never on the rest of the batch.
#pragma once

#include <cstdint>

#include "engine/kv_cache.h"

namespace capsfusion::engine {

class ThreadPool;

struct AttentionShape {
  int n_head = 0;
  int n_kv_head = 0;
  int head_dim = 0;
  float scale = 1.0f;  //!< usually 1/sqrt(head_dim)
};

//! Writes one token's keys and values (n_kv_head * head_dim floats each) into
//! the cache at (seq, pos); the block must be reserved and owned by seq.
void StoreKv(const KvCache& cache, int layer, int seq, int pos, const float* k, const float* v);

//! out[t] (n_head * head_dim floats) = attention of q[t] for every token t.
//! `max_pos` bounds every pos[t] (scratch sizing). On AVX-512, consecutive
//! tokens whose sequences share their first block are attended together
//! (attention_group.h), with the same results as one query at a time.
void AttendBatch(const KvCache& cache, int layer, const AttentionShape& shape, const float* q,
                 const int32_t* seq, const int32_t* pos, int64_t n_tokens, int32_t max_pos, float* out,
                 ThreadPool* pool);

//! Which SIMD path AttendBatch uses ("avx512", "avx2" or "generic").
const char* AttentionPath();

//! Tests: true makes AttendBatch attend one query at a time on every path.
void SetOneQueryAttentionForTesting(bool one_query);

}  // namespace capsfusion::engine
