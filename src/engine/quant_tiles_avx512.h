// AVX-512 VNNI MatMul tiles for quantized weights (quant_tiles_avx512.cc); part
// of the AVX-512 kernel table. Call only where PathSupported(kAvx512).
#pragma once

#include <cstdint>

#include "engine/kernel_table.h"

namespace capsfusion::engine {

//! TileFn for Q4_0 and Q8_0 weights.
void Avx512MatMulQ4_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1);
void Avx512MatMulQ8_0(const MatMulTask& k, int64_t r0, int64_t r1, int64_t t0, int64_t t1);

}  // namespace capsfusion::engine
