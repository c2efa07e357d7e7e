// The RLE / bit-packed hybrid encoding: definition levels, dictionary
// indices and RLE booleans. A stream is a sequence of runs, each starting
// with a varint header: an even header (n << 1) is a run of n copies of one
// value stored in ceil(bit_width / 8) bytes; an odd header (g << 1 | 1) is
// g groups of 8 values bit-packed least significant bit first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace capsfusion::parquet {

//! Streams values out of a hybrid-encoded buffer (no length prefix).
class RleDecoder {
 public:
  RleDecoder() = default;
  //! `bit_width` 0..32.
  void Reset(const uint8_t* data, size_t size, int bit_width);
  //! The next value; false at the end of the data or on malformed data
  //! (then error() is true).
  bool Next(uint32_t* value) {
    if (rle_left_ > 0) {
      --rle_left_;
      *value = rle_value_;
      return true;
    }
    if (packed_left_ > 0) {
      --packed_left_;
      *value = static_cast<uint32_t>(ReadPacked());
      return true;
    }
    return NextRun() && Next(value);
  }
  bool error() const { return error_; }

 private:
  bool NextRun();
  uint64_t ReadPacked();

  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  int bit_width_ = 0;
  uint64_t rle_left_ = 0;
  uint32_t rle_value_ = 0;
  uint64_t packed_left_ = 0;
  const uint8_t* packed_ = nullptr;
  size_t packed_size_ = 0;
  uint64_t packed_bit_ = 0;
  bool error_ = false;
};

//! Appends `n` values of `bit_width` bits in the hybrid encoding: runs of 8 or
//! more equal values as RLE runs, everything else bit-packed.
void RleEncode(const uint32_t* values, size_t n, int bit_width, std::string* out);

}  // namespace capsfusion::parquet
