// Q8_0 quantization of activation rows, the left operand of the integer dot
// products against Q8_0/Q4_0 weights.
//
// Unlike a GGUF Q8_0 block the scale stays a float (no fp16 rounding), and each
// block also carries s = d * sum(q), which lets the SIMD kernels work with
// unsigned weight codes (Q4_0 nibbles 0..15, Q8_0 codes + 128) and subtract the
// offset once per block: sum((u - k) * q) = sum(u * q) - k * sum(q).
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
  const float* s = nullptr;   //!< token t: s + t * nb; s = d * sum(q of the block)
};

//! The portable quantizer; the SIMD ones give identical bits.
inline void QuantizeActRowScalar(const float* x, int64_t nb, int8_t* q, float* d, float* s) {
  for (int64_t b = 0; b < nb; ++b, x += kQBlock, q += kQBlock) {
    float amax = 0.0f;
    for (int j = 0; j < kQBlock; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 1.0f / db : 0.0f;
    int32_t sum = 0;
    for (int j = 0; j < kQBlock; ++j) {
      const float p = x[j] * id;
      const int v = static_cast<int>(std::nearbyint(p));
      q[j] = static_cast<int8_t>(v);
      sum += v;
    }
    d[b] = db;
    s[b] = db * static_cast<float>(sum);
  }
}

}  // namespace capsfusion::engine
