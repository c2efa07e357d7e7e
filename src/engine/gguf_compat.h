// Access to gguf/tensor_types.h (TensorType, fp16 conversion, reference
// quantizers). Until the gguf module is present in this tree, a minimal inline
// stand-in with the same names and semantics is used; it disappears as soon as
// the real header exists.
#pragma once

#if __has_include("gguf/tensor_types.h")
#include "gguf/tensor_types.h"
#else
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace capsfusion::gguf {

enum class TensorType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8 };

inline float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = std::ldexp(static_cast<float>(mant), -24);
  } else if (exp == 31) {
    v = mant ? NAN : INFINITY;
  } else {
    v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits |= sign;
  std::memcpy(&v, &bits, 4);
  return v;
}

inline uint16_t Fp32ToFp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00;
  if (a >= 65520.0f) return sign | 0x7c00;
  if (a < 6.103515625e-05f) {  // subnormal half: multiple of 2^-24
    return sign | static_cast<uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  int e;
  const float m = std::frexp(a, &e);                                 // a = m * 2^e, m in [0.5, 1)
  uint32_t mant = static_cast<uint32_t>(std::nearbyint(m * 2048.0f));  // 11 bits incl. implicit
  if (mant == 2048) { mant = 1024; ++e; }
  const uint32_t he = static_cast<uint32_t>(e + 14);
  if (he >= 31) return sign | 0x7c00;
  return sign | static_cast<uint16_t>((he << 10) | (mant & 0x3ff));
}

inline void QuantizeRow(TensorType type, const float* x, void* out, int64_t n) {
  uint8_t* o = static_cast<uint8_t*>(out);
  if (type == TensorType::kF32) { std::memcpy(o, x, n * 4); return; }
  if (type == TensorType::kF16) {
    for (int64_t i = 0; i < n; ++i) { uint16_t h = Fp32ToFp16(x[i]); std::memcpy(o + 2 * i, &h, 2); }
    return;
  }
  for (int64_t b = 0; b < n / 32; ++b, x += 32) {
    if (type == TensorType::kQ8_0) {
      float amax = 0;
      for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(x[j]));
      const float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
      const uint16_t hd = Fp32ToFp16(d);
      std::memcpy(o, &hd, 2);
      for (int j = 0; j < 32; ++j) o[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
      o += 34;
    } else if (type == TensorType::kQ4_0) {
      float amax = 0, max = 0;
      for (int j = 0; j < 32; ++j) if (std::fabs(x[j]) > amax) { amax = std::fabs(x[j]); max = x[j]; }
      const float d = max / -8.0f, id = d ? 1.0f / d : 0.0f;
      const uint16_t hd = Fp32ToFp16(d);
      std::memcpy(o, &hd, 2);
      for (int j = 0; j < 16; ++j) {
        const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
        const int q1 = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
        o[2 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
      }
      o += 18;
    }
  }
}

inline void DequantizeRow(TensorType type, const void* in, float* y, int64_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(in);
  if (type == TensorType::kF32) { std::memcpy(y, p, n * 4); return; }
  if (type == TensorType::kF16) {
    for (int64_t i = 0; i < n; ++i) { uint16_t h; std::memcpy(&h, p + 2 * i, 2); y[i] = Fp16ToFp32(h); }
    return;
  }
  for (int64_t b = 0; b < n / 32; ++b, y += 32) {
    uint16_t hd;
    std::memcpy(&hd, p, 2);
    const float d = Fp16ToFp32(hd);
    if (type == TensorType::kQ8_0) {
      for (int j = 0; j < 32; ++j) y[j] = static_cast<int8_t>(p[2 + j]) * d;
      p += 34;
    } else if (type == TensorType::kQ4_0) {
      for (int j = 0; j < 16; ++j) {
        y[j] = ((p[2 + j] & 0xf) - 8) * d;
        y[j + 16] = ((p[2 + j] >> 4) - 8) * d;
      }
      p += 18;
    }
  }
}

}  // namespace capsfusion::gguf
#endif
