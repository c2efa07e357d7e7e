// Loads of KV cache elements, F32 (float) or F16 (uint16_t), as floats: one
// element, or 16 consecutive ones into a zmm. Shared by the attention kernels
// and the copy head's source scan; F16 to F32 is exact.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "gguf/tensor_types.h"

namespace capsfusion::engine {

inline float LoadKv1(const float* p) { return *p; }
inline float LoadKv1(const uint16_t* p) { return gguf::Fp16ToFp32(*p); }
//! Element `index` of a cache area holding F16 (`f16`) or F32 elements.
inline float LoadKv1(const void* base, size_t index, bool f16) {
  return f16 ? LoadKv1(static_cast<const uint16_t*>(base) + index) : LoadKv1(static_cast<const float*>(base) + index);
}

__attribute__((target("avx512f"))) inline __m512 LoadKv16(const float* p) { return _mm512_loadu_ps(p); }
__attribute__((target("avx512f"))) inline __m512 LoadKv16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

}  // namespace capsfusion::engine
