// AVX-512 MatMul tiles on packed F32 weights (packed_weights.h).
//
// Packed layout: the rows are taken 16 at a time into panels (the last panel is
// padded with zero rows). A panel stores its 16 rows column by column:
//   panel[c][i] = w[16 * p + i][c],   c < cols, i < 16
// so one zmm load gives column c of 16 rows, and a whole panel is one
// sequential stream of 64 * cols bytes.
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

//! Tokens per tile when there are many: 24 accumulators, the weights of a
//! column loaded once for all of them, the activations broadcast from memory.
constexpr int kWideTokens = 24;

//! y[t][r] for tokens [t, t + T) and the 16 rows of one panel; `nr` (<= 16) of
//! them are real.
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
    const __m512 w = _mm512_load_ps(panel + c * kPanelRows);
#pragma GCC unroll 24
    for (int j = 0; j < T; ++j) acc[j] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[j][c]), acc[j]);
  }
  const __mmask16 m = static_cast<__mmask16>((1u << nr) - 1u);
#pragma GCC unroll 24
  for (int j = 0; j < T; ++j) _mm512_mask_storeu_ps(k.y + (t + j) * k.rows + r, m, acc[j]);
}

//! One token, P panels at once (P independent FMA chains hide the latency).
template <int P>
CF_TARGET void PanelsOneToken(const MatMulTask& k, const float* first_panel, int64_t r, int64_t r1, int64_t t) {
  const int64_t cols = k.cols;
  const int64_t stride = k.row_bytes / static_cast<int64_t>(sizeof(float));
  const float* x = k.x + t * cols;
  __m512 acc[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) acc[p] = _mm512_setzero_ps();
  for (int64_t c = 0; c < cols; ++c) {
    const __m512 xv = _mm512_set1_ps(x[c]);
#pragma GCC unroll 8
    for (int p = 0; p < P; ++p) {
      acc[p] = _mm512_fmadd_ps(_mm512_load_ps(first_panel + p * stride + c * kPanelRows), xv, acc[p]);
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) {
    const int64_t rp = r + p * kPanelRows;
    const int64_t nr = std::min<int64_t>(kPanelRows, r1 - rp);
    const __mmask16 m = static_cast<__mmask16>((1u << nr) - 1u);
    _mm512_mask_storeu_ps(k.y + t * k.rows + rp, m, acc[p]);
  }
}

}  // namespace

int64_t Avx512PackedF32Bytes(int64_t rows, int64_t cols) {
  return (rows + kPanelRows - 1) / kPanelRows * kPanelRows * cols * static_cast<int64_t>(sizeof(float));
}

void Avx512PackF32(const WeightView& w, uint8_t* out) {
  auto* dst = reinterpret_cast<float*>(out);
  const int64_t panels = (w.rows + kPanelRows - 1) / kPanelRows;
  for (int64_t p = 0; p < panels; ++p) {
    float* panel = dst + p * kPanelRows * w.cols;
    for (int64_t i = 0; i < kPanelRows; ++i) {
      const int64_t r = p * kPanelRows + i;
      if (r >= w.rows) {
        for (int64_t c = 0; c < w.cols; ++c) panel[c * kPanelRows + i] = 0.0f;
        continue;
      }
      const float* src = reinterpret_cast<const float*>(w.data) + r * w.cols;
      for (int64_t c = 0; c < w.cols; ++c) panel[c * kPanelRows + i] = src[c];
    }
  }
}

void Avx512MatMulPackedF32(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1) {
  const int64_t stride = k.row_bytes / static_cast<int64_t>(sizeof(float));  // floats per panel
  const auto* base = reinterpret_cast<const float*>(k.w);
  if (t1 - t0 == 1) {
    int64_t r = r0;
    for (; r + 4 * kPanelRows <= r1; r += 4 * kPanelRows) {
      PanelsOneToken<4>(k, base + r / kPanelRows * stride, r, r1, t0);
    }
    for (; r < r1; r += kPanelRows) PanelsOneToken<1>(k, base + r / kPanelRows * stride, r, r1, t0);
    return;
  }
  for (int64_t r = r0; r < r1; r += kPanelRows) {
    const float* panel = base + r / kPanelRows * stride;
    const int64_t nr = std::min<int64_t>(kPanelRows, r1 - r);
    int64_t t = t0;
    for (; t + kWideTokens <= t1; t += kWideTokens) PanelTokens<kWideTokens>(k, panel, r, nr, t);
    for (; t + 8 <= t1; t += 8) PanelTokens<8>(k, panel, r, nr, t);
    for (; t + 4 <= t1; t += 4) PanelTokens<4>(k, panel, r, nr, t);
    for (; t < t1; ++t) PanelTokens<1>(k, panel, r, nr, t);
  }
}

}  // namespace capsfusion::engine
