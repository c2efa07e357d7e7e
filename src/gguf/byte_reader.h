// ByteReader: a bounds-checked little-endian cursor over a byte range (internal to src/gguf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion::gguf {

//! Reads little-endian values; every read checks the remaining length first and fails
//! with a Corruption that names what was being read and the byte offset.
class ByteReader {
 public:
  ByteReader(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}

  uint64_t offset() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  const uint8_t* here() const { return data_ + pos_; }

  //! Reads an N-byte little-endian unsigned integer.
  template <typename T>
  Status ReadUint(T* out, const char* what) {
    static_assert(sizeof(T) <= 8, "at most 64 bits");
    CF_RETURN_IF_ERROR(Need(sizeof(T), what));
    uint64_t v = 0;
    for (size_t k = 0; k < sizeof(T); ++k) v |= static_cast<uint64_t>(data_[pos_ + k]) << (8 * k);
    pos_ += sizeof(T);
    *out = static_cast<T>(v);
    return Status::OK();
  }

  //! Reads a GGUF string (uint64 length + bytes) as a view into the buffer.
  Status ReadString(std::string_view* out, const char* what) {
    const uint64_t at = pos_;
    uint64_t len = 0;
    CF_RETURN_IF_ERROR(ReadUint(&len, what));
    if (len > remaining()) {
      return Status::Corruption(std::string(what) + " at byte " + std::to_string(at) + " claims " +
                                std::to_string(len) + " bytes but only " + std::to_string(remaining()) +
                                " remain in the file");
    }
    *out = std::string_view(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return Status::OK();
  }

  //! Skips `n` bytes.
  Status Skip(uint64_t n, const char* what) {
    CF_RETURN_IF_ERROR(Need(n, what));
    pos_ += n;
    return Status::OK();
  }

  //! Fails unless `n` more bytes are available.
  Status Need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      return Status::Corruption("file truncated at byte " + std::to_string(size_) + " while reading " + what +
                                " at byte " + std::to_string(pos_) + " (needs " + std::to_string(n) +
                                " bytes, " + std::to_string(remaining()) + " remain)");
    }
    return Status::OK();
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

}  // namespace capsfusion::gguf
