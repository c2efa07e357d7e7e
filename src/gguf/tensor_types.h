// ggml tensor types: ids, block layouts, fp16 conversion and reference (de)quantizers.
//
// The ids are ggml's `enum ggml_type` values as stored in GGUF tensor infos. This
// build reads and writes four of them; the other ggml ids are known by name (for
// error messages) and refused as NotSupported.
//
// Block layouts (all little-endian, packed, no padding):
//   F32   1 element per block,  4 bytes: IEEE-754 binary32.
//   F16   1 element per block,  2 bytes: IEEE-754 binary16.
//   Q4_0 32 elements per block, 18 bytes: f16 d, then uint8 qs[16]; byte j holds element j
//        in its low nibble and element j+16 in its high nibble; value = (nibble - 8) * d.
//   Q8_0 32 elements per block, 34 bytes: f16 d, then int8 qs[32]; value = qs[j] * d.
// A row of n elements takes n / BlockSize blocks; n must be a multiple of BlockSize.
#pragma once

#include <cstddef>
#include <cstdint>

#include "capsfusion/status.h"

namespace capsfusion::gguf {

//! The ggml tensor types this build supports (values are ggml's ids).
enum class TensorType : uint32_t { kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ8_0 = 8 };

constexpr int64_t kQK4_0 = 32;  //!< elements per Q4_0 block
constexpr int64_t kQK8_0 = 32;  //!< elements per Q8_0 block

//! One Q4_0 block, byte for byte as ggml's block_q4_0.
struct BlockQ4_0 {
  uint16_t d;               //!< scale, IEEE half
  uint8_t qs[kQK4_0 / 2];   //!< nibbles: element j low, element j+16 high
};
static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 block must be 18 bytes");

//! One Q8_0 block, byte for byte as ggml's block_q8_0.
struct BlockQ8_0 {
  uint16_t d;           //!< scale, IEEE half
  int8_t qs[kQK8_0];    //!< quants
};
static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 block must be 34 bytes");

//! "F32", "F16", "Q4_0", "Q8_0"; "unknown" for a value outside the enum.
const char* TensorTypeName(TensorType type);
//! ggml's name for any ggml type id ("Q4_K", "BF16", ...), or nullptr for an id ggml never used.
const char* GgmlTypeName(uint32_t id);
//! True when `id` is one of the TensorType values above.
bool IsSupportedTensorType(uint32_t id);

//! Elements per block: 1, 1, 32, 32 (0 for an unsupported value).
int64_t BlockSize(TensorType type);
//! Bytes per block: 4, 2, 18, 34 (0 for an unsupported value).
size_t BlockBytes(TensorType type);
//! Bytes of a row of `n` elements. InvalidArgument when n < 0, n is not a multiple of the
//! block size, the type is unsupported, or the size overflows.
StatusOr<size_t> RowBytes(TensorType type, int64_t n);

//! IEEE half -> float (exact; subnormals, infinities and NaNs kept).
float Fp16ToFp32(uint16_t h);
//! float -> IEEE half, round to nearest even; overflow gives infinity, NaN stays NaN (quiet).
uint16_t Fp32ToFp16(float f);

//! Encodes `n` floats as `type` into `out` (RowBytes(type, n) bytes) with ggml's reference
//! rules: Q8_0 d = amax/127, q = round(x/d); Q4_0 d = max/-8 (max: the value of largest
//! magnitude, sign kept), q = min(15, trunc(x/d + 8.5)). Only whole blocks are written:
//! n should be a multiple of BlockSize(type). Does nothing for an unsupported type.
void QuantizeRow(TensorType type, const float* x, void* out, int64_t n);
//! Decodes `n` elements of `type` from `in` into floats (whole blocks only, as above).
void DequantizeRow(TensorType type, const void* in, float* y, int64_t n);

}  // namespace capsfusion::gguf
