// Q8_0 quantization of activation rows, the left operand of the integer dot
// products against Q8_0/Q4_0 weights.
//
// Unlike a GGUF Q8_0 block the scale stays a float (no fp16 rounding), and each
// block also carries sum(q): the AVX-512 path multiplies unsigned weight codes
// (Q4_0 nibbles 0..15, Q8_0 codes + 128) with the signed activation codes and
// starts each block's integer sum at -offset * sum(q), so that
// sum((u - offset) * q) comes out exact.
//
// Rounding rule (all paths bit-identical): d = amax / 127, id = d ? 1/d : 0,
// q = round-to-nearest-even(x * id).
#pragma once

#include <cmath>
#include <cstdint>

namespace capsfusion::engine {

constexpr int64_t kQBlock = 32;  //!< elements per Q8_0/Q4_0 block

//! The quantized activations of one MatMul call (views into scratch memory).
struct QuantizedActs {
  int64_t nb = 0;          //!< blocks per row
  const int8_t* q = nullptr;  //!< token t: q + t * nb * 32
  const float* d = nullptr;   //!< token t: d + t * nb
  const int32_t* qsum = nullptr;  //!< token t: qsum + t * nb; sum of the block's 32 codes
};

//! The portable quantizer; the SIMD ones give identical bits.
inline void QuantizeActRowScalar(const float* x, int64_t nb, int8_t* q, float* d, int32_t* qsum) {
  for (int64_t b = 0; b < nb; ++b, x += kQBlock, q += kQBlock) {
    float amax = 0.0f;
    for (int j = 0; j < kQBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < kQBlock; ++j) {
      q[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
      sum += q[j];
    }
    d[b] = db;
    qsum[b] = sum;
  }
}

}  // namespace capsfusion::engine
