// DELTA_BINARY_PACKED, streamed: a header (block size, miniblocks per block,
// value count, first value), then blocks of a min delta and per-miniblock bit
// widths, each miniblock bit-packed. DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY are built from it (column_reader.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace capsfusion::parquet {

class DeltaDecoder {
 public:
  //! Parses the header at `data`. False (with error()) when it is malformed.
  bool Init(const uint8_t* data, size_t size);
  //! The next value (wrapping 64-bit arithmetic, as the format specifies).
  //! False once all values are read or on malformed data (error()).
  bool Next(int64_t* value);
  //! Values the header promises.
  uint64_t total() const { return total_; }
  //! Reads every remaining value; afterwards end() is the offset just past the
  //! encoded data (where DELTA_LENGTH_BYTE_ARRAY's bytes begin).
  bool SkipToEnd();
  size_t end() const { return static_cast<size_t>(p_ - begin_); }
  const std::string& error() const { return error_; }

 private:
  bool Fail(const char* what);
  bool StartBlock();
  bool StartMiniblock();

  const uint8_t* begin_ = nullptr;
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  uint64_t block_size_ = 0;
  uint64_t miniblocks_ = 0;
  uint64_t per_miniblock_ = 0;
  uint64_t total_ = 0;
  uint64_t returned_ = 0;
  int64_t last_ = 0;
  int64_t min_delta_ = 0;
  uint8_t widths_[256] = {};
  uint64_t miniblock_index_ = 0;  // within the block
  uint64_t left_in_miniblock_ = 0;
  const uint8_t* mini_ = nullptr;
  size_t mini_size_ = 0;
  uint64_t mini_bit_ = 0;
  int width_ = 0;
  std::string error_;
};

//! Encodes `n` values as DELTA_BINARY_PACKED (block 128, 4 miniblocks);
//! used by tests to build pages.
void DeltaEncode(const int64_t* values, size_t n, std::string* out);

}  // namespace capsfusion::parquet
