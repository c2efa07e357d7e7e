// The CPU kernels of the inference engine: matrix multiplication against GGUF
// weights (F32, F16, Q8_0, Q4_0) and the element-wise operations of a LLaMA
// layer.
//
// Every function exists twice: the fast version below, which picks an AVX-512,
// AVX2 or portable implementation at run time (see cpu_features.h), and a naive
// version in namespace ref that is obviously correct and used by the tests.
//
// Determinism: MatMul computes each output element on one thread, with an
// order of operations that depends only on the element's weight row and
// activation row. Results are therefore bit-identical whatever the number of
// threads and whatever n_tokens (a token computed in a batch of 17 gives the
// same bits as the same token computed alone) on a given kernel path; MatMulMany
// and PackedWeights (packed_weights.h, faster decoding for Q4_0/Q8_0) give the
// same bits as MatMul too. Different paths differ in the last bits.
#pragma once

#include <cstdint>

#include "gguf/tensor_types.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {

using gguf::TensorType;

//! A weight matrix: `rows` rows of `cols` elements in ggml layout of `type`
//! (row r starts at data + r * RowBytes(type, cols)). This is how GGUF stores a
//! 2-D tensor with shape {cols, rows}. For Q8_0/Q4_0 cols is a multiple of 32.
struct WeightView {
  TensorType type = TensorType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
};

//! Bytes of one row of `cols` elements of `type` (no validation).
int64_t WeightRowBytes(TensorType type, int64_t cols);

//! Y[n_tokens x rows] = X[n_tokens x cols] * W^T. X and Y are row-major with
//! strides cols and rows. For Q8_0/Q4_0 weights each activation row is first
//! quantized to Q8_0 blocks (float scale d = amax/127, q = round-to-nearest-even
//! of x/d) and the dot products run on integers. y must not overlap x. `pool`
//! may be null (one thread). Throws std::invalid_argument for an unsupported
//! type or a cols that is not a multiple of the block size.
void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool);

//! The most weight matrices one MatMulMany call takes.
constexpr int kMaxMatMulMany = 8;

//! Several MatMuls that share the activations X, e.g. the Q, K and V
//! projections or the FFN gate and up: ys[i] = X * ws[i]^T for i < n. All the
//! weights need the same cols (their types may differ). The activations are
//! quantized once and all the tiles go through one ParallelFor, so this costs
//! less than n separate calls; each output is bit-identical to MatMul's.
void MatMulMany(const WeightView* ws, int n, const float* x, int64_t n_tokens, float* const* ys,
                ThreadPool* pool);

//! y = x / sqrt(mean(x^2) + eps) * weight (weight may be null: no scaling).
//! y may equal x.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y);

//! RoPE in llama.cpp's "normal" mode, in place: in each of n_heads heads of
//! head_dim floats, the pairs (2i, 2i+1) with 2i < n_dims are rotated by
//! theta_i = pos * freq_base^(-2i/n_dims); dims >= n_dims are left alone.
void Rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_dims, int64_t pos, float freq_base);

//! In-place softmax over n floats (max subtracted first). -inf entries get 0.
void Softmax(float* x, int64_t n);

//! out = silu(gate) * up = gate / (1 + exp(-gate)) * up. out may alias either.
void SwiGlu(const float* gate, const float* up, float* out, int64_t n);

//! y[i] = x[i] rounded to IEEE half precision (round to nearest even, NaN kept
//! a NaN), bit-identical to gguf::Fp32ToFp16 on every path.
void Fp32ToFp16Row(const float* x, uint16_t* y, int64_t n);

//! Dequantizes rows ids[0..n) of `embedding` into out (n x cols floats).
//! Throws std::out_of_range for an id outside [0, rows).
void GetRows(const WeightView& embedding, const int32_t* ids, int64_t n, float* out);

namespace ref {

//! Dequantizes each weight row and accumulates in double.
void MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool);
//! Like ref::MatMul for Q8_0/Q4_0, but with the activations first quantized to
//! Q8_0 exactly as the fast MatMul does: the fast paths agree with this one up
//! to float rounding of the block sums (about 1e-6 relative).
void MatMulQuantizedActivations(const WeightView& w, const float* x, int64_t n_tokens, float* y);
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y);
void Rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_dims, int64_t pos, float freq_base);
void Softmax(float* x, int64_t n);
void SwiGlu(const float* gate, const float* up, float* out, int64_t n);
void GetRows(const WeightView& embedding, const int32_t* ids, int64_t n, float* out);

}  // namespace ref
}  // namespace capsfusion::engine
