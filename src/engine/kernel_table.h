// The per-path kernel tables behind the public functions of kernels.h.
//
// Each path (generic, avx2, avx512) fills one KernelTable in its own file; the
// AVX files compile their functions with __attribute__((target(...))) so the
// build needs no -march flag. MatMulWith runs the shared MatMul driver (checks,
// activation quantization, tiling, threads) with a given table, which is how
// the tests compare paths inside one process.
#pragma once

#include <cstdint>

#include "engine/act_quant.h"
#include "engine/cpu_features.h"
#include "engine/kernels.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {

//! Rows per group of the packed F32 layout (packed_f32_avx512.cc). MatMul hands
//! packed F32 tiles whole groups, so that one token runs a group's four
//! 16-row panels as independent FMA chains.
constexpr int64_t kPackedF32GroupRows = 64;

//! One MatMul call as seen by a tile function.
struct MatMulTask {
  const uint8_t* w = nullptr;  //!< weight rows (or the packed form, see PackedWeights)
  int64_t row_bytes = 0;       //!< bytes per weight row (packed: per packed group)
  int64_t rows = 0;
  int64_t cols = 0;
  const float* x = nullptr;    //!< activations, n_tokens x cols
  int64_t n_tokens = 0;
  QuantizedActs qa;            //!< Q8_0 activations (quantized weight types only)
  float* y = nullptr;          //!< output, n_tokens x rows
};

//! Computes y[t][r] for r in [r0, r1), t in [t0, t1).
using TileFn = void (*)(const MatMulTask& task, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
//! Quantizes one activation row of nb blocks (see act_quant.h).
using QuantizeActFn = void (*)(const float* x, int64_t nb, int8_t* q, float* d, int32_t* qsum);

struct KernelTable {
  KernelPath path = KernelPath::kGeneric;
  TileFn matmul_f32 = nullptr;
  TileFn matmul_f16 = nullptr;
  TileFn matmul_q8_0 = nullptr;
  TileFn matmul_q4_0 = nullptr;
  QuantizeActFn quantize_act = nullptr;
  void (*rms_norm)(const float* x, const float* weight, int64_t n, float eps, float* y) = nullptr;
  void (*softmax)(float* x, int64_t n) = nullptr;
  void (*swiglu)(const float* gate, const float* up, float* out, int64_t n) = nullptr;
  //! Rounds n floats to IEEE half precision (round to nearest even).
  void (*fp32_to_fp16)(const float* x, uint16_t* y, int64_t n) = nullptr;
  //! Dequantizes one row of `cols` elements of `type`.
  void (*dequantize_row)(TensorType type, const uint8_t* row, int64_t cols, float* out) = nullptr;

  // Optional packed weights (packed_weights.h); null where the path has none.
  //! Bytes of the packed form (0: none for this type).
  int64_t (*packed_bytes)(TensorType type, int64_t rows, int64_t cols) = nullptr;
  //! Bytes per packed group (8 rows of Q4_0/Q8_0, 64 F32 rows).
  int64_t (*packed_group_bytes)(TensorType type, int64_t cols) = nullptr;
  void (*pack)(const WeightView& w, uint8_t* out) = nullptr;
  TileFn matmul_q8_0_packed = nullptr;
  TileFn matmul_q4_0_packed = nullptr;
  TileFn matmul_f32_packed = nullptr;
};

const KernelTable& GenericKernels();
const KernelTable& Avx2Kernels();
const KernelTable& Avx512Kernels();

//! The table for `path`, or nullptr when this machine cannot run it.
const KernelTable* KernelsFor(KernelPath path);
//! The table of BestPath(DetectCpu()).
const KernelTable& ActiveKernels();

//! MatMul and MatMulMany (kernels.h) with an explicit kernel table.
void MatMulWith(const KernelTable& k, const WeightView& w, const float* x, int64_t n_tokens, float* y,
                ThreadPool* pool);
void MatMulManyWith(const KernelTable& k, const WeightView* ws, int n, const float* x, int64_t n_tokens,
                    float* const* ys, ThreadPool* pool);

//! One weight matrix of a MatMul: the ggml-layout view, plus its packed form
//! for table `k` when there is one (packed may be null).
struct MatMulOperand {
  WeightView view;
  const uint8_t* packed = nullptr;
};
//! The general driver behind MatMulWith and MatMulManyWith.
void MatMulOperandsWith(const KernelTable& k, const MatMulOperand* ops, int n, const float* x, int64_t n_tokens,
                        float* const* ys, ThreadPool* pool);

//! Quantizes n_tokens activation rows with the table's quantizer into scratch
//! memory owned by the calling thread (valid until its next call).
QuantizedActs QuantizeActivations(const KernelTable& k, const float* x, int64_t n_tokens, int64_t cols,
                                  ThreadPool* pool);

}  // namespace capsfusion::engine
