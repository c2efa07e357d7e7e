// AVX-512 tiles on packed weights: Q4_0/Q8_0 with VNNI (packed_tiles_avx512.cc)
// and F32 in column-major groups of 64 rows (packed_f32_avx512.cc); part of the AVX-512
// kernel table. Call only where PathSupported(kAvx512).
#pragma once

#include <cstdint>

#include "engine/kernel_table.h"

namespace capsfusion::engine {

//! Bytes of the packed form of a rows x cols matrix of `type` (0: no packed form).
int64_t Avx512PackedBytes(TensorType type, int64_t rows, int64_t cols);
//! Bytes of one packed group: 8 rows of Q4_0/Q8_0, or 64 F32 rows.
int64_t Avx512PackedGroupBytes(TensorType type, int64_t cols);
//! Writes the packed form of w (F32, Q4_0 or Q8_0) to out (Avx512PackedBytes bytes).
void Avx512Pack(const WeightView& w, uint8_t* out);

//! The F32 packed form: bytes, packing (rows padded to a multiple of 64).
int64_t Avx512PackedF32Bytes(int64_t rows, int64_t cols);
void Avx512PackF32(const WeightView& w, uint8_t* out);

//! TileFn on packed weights: MatMulTask::w is the packed data and row_bytes
//! the bytes per group of 8 rows; r0 is a multiple of 8.
void Avx512MatMulPackedQ4_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
void Avx512MatMulPackedQ8_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
//! TileFn on packed F32 weights: row_bytes is the bytes per group of 64 rows;
//! r0 is a multiple of 64.
void Avx512MatMulPackedF32(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1);

}  // namespace capsfusion::engine
