// SHA-256 (FIPS 180-4), one-shot and streaming. Used for model file hashes in provenance.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion {

//! Streaming SHA-256: Update() any number of times, then Final() once.
class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  //! Appends `n` bytes to the message.
  void Update(const void* data, size_t n);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  //! Finishes the message and returns its digest; the object is then reset for reuse.
  Digest Final();
  //! Final() as 64 lowercase hex digits.
  std::string FinalHex();
  //! Starts over with an empty message.
  void Reset();

 private:
  void Compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

//! SHA-256 of `n` bytes as 64 lowercase hex digits.
std::string Sha256Hex(const void* data, size_t n);
inline std::string Sha256Hex(std::string_view s) { return Sha256Hex(s.data(), s.size()); }

//! SHA-256 of a whole file (read in chunks, any size) as 64 lowercase hex digits.
StatusOr<std::string> Sha256FileHex(const std::string& path);

//! Lowercase hex of a digest.
std::string DigestToHex(const Sha256::Digest& digest);

}  // namespace capsfusion
