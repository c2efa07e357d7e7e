// AVX-512 MatMul tiles on packed F32 weights (packed_weights.h).
//
// Packed layout: the rows are taken 64 at a time into groups (the last group is
// padded with zero rows). A group stores its 64 rows column by column:
//   group[c][i] = w[64 * g + i][c],   c < cols, i < 64
// so four zmm loads give column c of 64 rows (four panels of 16 rows), and a
// group, like the whole matrix, is one sequential stream.
//
// Each output element is one float FMA chain over the columns in order,
//   acc = 0; acc = fma(w[r][c], x[t][c], acc) for c = 0, 1, ..., cols - 1
// with 16 rows in the lanes of a zmm and the activation broadcast. A tile is a
// whole group (4 panels) times up to 6 tokens: the column's 4 weight vectors
// are loaded once for all its tokens, and its 6 activation rows keep their
// pointers in registers. No horizontal sums are needed, and every tile shape
// follows exactly this sequence, so results do not depend on the
// batch size or the thread count. They differ from the ggml-layout F32 tiles
// (which sum 16 interleaved partial sums) by float rounding only.
#include <immintrin.h>

#include <algorithm>

#include "engine/packed_tiles_avx512.h"

#define CF_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

namespace capsfusion::engine {
namespace {

constexpr int64_t kPanelRows = 16;
constexpr int64_t kGroupRows = kPackedF32GroupRows;
constexpr int kPanels = kGroupRows / kPanelRows;

//! Tokens per tile when there are many: 4 panels x 6 tokens = 24 accumulators
//! and 4 weight registers; per column, 4 weight loads (one sequential 256-byte
//! stretch of the group) and 6 broadcasts feed 24 FMAs, and the 6 activation
//! pointers stay in registers.
constexpr int kWideTokens = 6;

//! y[t][r] for tokens [t, t + T) and the four panels of a group (column stride
//! 64 floats); rows [r, r1) of the group are real.
template <int T>
CF_TARGET void GroupTokens(const MatMulTask& k, const float* group, int64_t r, int64_t r1, int64_t t) {
  const int64_t cols = k.cols;
  const float* x[T];
#pragma GCC unroll 8
  for (int j = 0; j < T; ++j) x[j] = k.x + (t + j) * cols;
  __m512 acc[T][kPanels];
#pragma GCC unroll 8
  for (int j = 0; j < T; ++j) {
#pragma GCC unroll 4
    for (int p = 0; p < kPanels; ++p) acc[j][p] = _mm512_setzero_ps();
  }
  for (int64_t c = 0; c < cols; ++c) {
    const float* col = group + c * kGroupRows;
    __m512 w[kPanels];
#pragma GCC unroll 4
    for (int p = 0; p < kPanels; ++p) w[p] = _mm512_load_ps(col + p * kPanelRows);
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) {
      const __m512 xv = _mm512_set1_ps(x[j][c]);
#pragma GCC unroll 4
      for (int p = 0; p < kPanels; ++p) acc[j][p] = _mm512_fmadd_ps(w[p], xv, acc[j][p]);
    }
  }
#pragma GCC unroll 4
  for (int p = 0; p < kPanels; ++p) {
    const int64_t rp = r + p * kPanelRows;
    const int64_t nr = std::min<int64_t>(kPanelRows, r1 - rp);
    if (nr <= 0) break;
    const auto m = static_cast<__mmask16>((1u << nr) - 1u);
#pragma GCC unroll 8
    for (int j = 0; j < T; ++j) _mm512_mask_storeu_ps(k.y + (t + j) * k.rows + rp, m, acc[j][p]);
  }
}

}  // namespace

int64_t Avx512PackedF32Bytes(int64_t rows, int64_t cols) {
  return (rows + kGroupRows - 1) / kGroupRows * kGroupRows * cols * static_cast<int64_t>(sizeof(float));
}

void Avx512PackF32(const WeightView& w, uint8_t* out) {
  auto* dst = reinterpret_cast<float*>(out);
  const int64_t groups = (w.rows + kGroupRows - 1) / kGroupRows;
  for (int64_t g = 0; g < groups; ++g) {
    float* group = dst + g * kGroupRows * w.cols;
    for (int64_t i = 0; i < kGroupRows; ++i) {
      const int64_t r = g * kGroupRows + i;
      if (r >= w.rows) {
        for (int64_t c = 0; c < w.cols; ++c) group[c * kGroupRows + i] = 0.0f;
        continue;
      }
      const float* src = reinterpret_cast<const float*>(w.data) + r * w.cols;
      for (int64_t c = 0; c < w.cols; ++c) group[c * kGroupRows + i] = src[c];
    }
  }
}

void Avx512MatMulPackedF32(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  const int64_t stride = k.row_bytes / static_cast<int64_t>(sizeof(float));  // floats per group
  const auto* base = reinterpret_cast<const float*>(k.w);
  for (int64_t g = r0; g < r1; g += kGroupRows) {
    const float* group = base + g / kGroupRows * stride;
    const int64_t g1 = std::min(r1, g + kGroupRows);
    int64_t t = t0;
    for (; t + kWideTokens <= t1; t += kWideTokens) GroupTokens<kWideTokens>(k, group, g, g1, t);
    switch (t1 - t) {
      case 5: GroupTokens<5>(k, group, g, g1, t); break;
      case 4: GroupTokens<4>(k, group, g, g1, t); break;
      case 3: GroupTokens<3>(k, group, g, g1, t); break;
      case 2: GroupTokens<2>(k, group, g, g1, t); break;
      case 1: GroupTokens<1>(k, group, g, g1, t); break;
      default: break;
    }
  }
}

}  // namespace capsfusion::engine
