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
// with 16 rows in the lanes of a zmm and the activation broadcast. No
// horizontal sums are needed, and every tile shape (tokens per tile, panels
// per call) follows exactly this sequence, so results do not depend on the
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

//! Tokens per tile when there are many: 24 accumulators, the weights of a
//! column loaded once for all of them, the activations broadcast from memory.
constexpr int kWideTokens = 24;

//! y[t][r] for tokens [t, t + T) and the 16 rows of one panel (a quarter of a
//! group: column stride 64 floats); `nr` (<= 16) of them are real.
template <int T>
CF_TARGET void PanelTokens(const MatMulTask& k, const float* panel, int64_t r, int64_t nr, int64_t t) {
  const int64_t cols = k.cols;
  const float* x[T];
#pragma GCC unroll 24
  for (int j = 0; j < T; ++j) x[j] = k.x + (t + j) * cols;
  __m512 acc[T];
#pragma GCC unroll 24
  for (int j = 0; j < T; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t c = 0; c < cols; ++c) {
    const __m512 w = _mm512_load_ps(panel + c * kGroupRows);
#pragma GCC unroll 24
    for (int j = 0; j < T; ++j) acc[j] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[j][c]), acc[j]);
  }
  const __mmask16 m = static_cast<__mmask16>((1u << nr) - 1u);
#pragma GCC unroll 24
  for (int j = 0; j < T; ++j) _mm512_mask_storeu_ps(k.y + (t + j) * k.rows + r, m, acc[j]);
}

//! One token, the four panels of a group at once (four independent FMA chains
//! hide the latency); rows [r, r1) of the group are real.
CF_TARGET void GroupOneToken(const MatMulTask& k, const float* group, int64_t r, int64_t r1, int64_t t) {
  const int64_t cols = k.cols;
  const float* x = k.x + t * cols;
  __m512 acc[kPanels];
#pragma GCC unroll 4
  for (int p = 0; p < kPanels; ++p) acc[p] = _mm512_setzero_ps();
  for (int64_t c = 0; c < cols; ++c) {
    const float* col = group + c * kGroupRows;
    const __m512 xv = _mm512_set1_ps(x[c]);
#pragma GCC unroll 4
    for (int p = 0; p < kPanels; ++p) acc[p] = _mm512_fmadd_ps(_mm512_load_ps(col + p * kPanelRows), xv, acc[p]);
  }
#pragma GCC unroll 4
  for (int p = 0; p < kPanels; ++p) {
    const int64_t rp = r + p * kPanelRows;
    const int64_t nr = std::min<int64_t>(kPanelRows, r1 - rp);
    if (nr <= 0) break;
    _mm512_mask_storeu_ps(k.y + t * k.rows + rp, static_cast<__mmask16>((1u << nr) - 1u), acc[p]);
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
    if (t1 - t0 == 1) {
      GroupOneToken(k, group, g, g1, t0);
      continue;
    }
    for (int64_t r = g; r < g1; r += kPanelRows) {
      const float* panel = group + (r - g);
      const int64_t nr = std::min<int64_t>(kPanelRows, g1 - r);
      int64_t t = t0;
      for (; t + kWideTokens <= t1; t += kWideTokens) PanelTokens<kWideTokens>(k, panel, r, nr, t);
      for (; t + 8 <= t1; t += 8) PanelTokens<8>(k, panel, r, nr, t);
      for (; t + 4 <= t1; t += 4) PanelTokens<4>(k, panel, r, nr, t);
      for (; t < t1; ++t) PanelTokens<1>(k, panel, r, nr, t);
    }
  }
}

}  // namespace capsfusion::engine
