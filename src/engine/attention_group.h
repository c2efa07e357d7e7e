// Attention for a group of queries that read the same KV blocks (the tokens of
// one prompt, the beams of one request, the query heads of one KV head): the
// AVX-512 path of AttendBatch.
//
// Keys and values of a shared block are loaded and converted once for the
// whole group. Each query's arithmetic is exactly that of the one-query
// kernels of attention.cc, so results do not depend on the grouping:
//   scores: per block, two FMA chains over even and odd dims, added (the last
//           block of an odd block count: four chains, as the one-query kernel
//           scores it on its own);
//   values: four FMA chains over the rows of each block (row r to chain r % 4;
//           a partial block's rows past the last multiple of 4 to chain 0),
//           added in order, then scaled.
#pragma once

#include <cstdint>

namespace capsfusion::engine {

//! The most queries attended together.
constexpr int kMaxGroupQueries = 6;

//! One query of a group.
struct GroupQuery {
  const float* q = nullptr;          //!< head_dim floats, already scaled
  const uint8_t* const* k = nullptr;  //!< its key blocks, [head_dim][16] each
  const uint8_t* const* v = nullptr;  //!< its value blocks, [16][head_dim] each
  int n = 0;                          //!< positions attended
  float* scores = nullptr;            //!< scratch of at least blocks(n) * 16 floats
  float* out = nullptr;               //!< head_dim floats
};

//! Attends 1..kMaxGroupQueries queries (block size 16, head_dim a multiple of
//! 16; T is uint16_t for F16 caches, float for F32). The first `shared` blocks
//! of every query are the same blocks (shared <= every query's block count).
//! `exp_normalise` turns scores into exp(s - max) and returns their sum.
template <typename T>
void AttendGroup512(const GroupQuery* queries, int nq, int shared, int head_dim,
                    float (*exp_normalise)(float* s, int n));

}  // namespace capsfusion::engine
