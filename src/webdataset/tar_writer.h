// TarWriter: writes a POSIX tar archive (ustar headers; a pax header for
// names or sizes ustar cannot hold) to an OutputStream, one member at a time;
// data can be streamed in pieces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "capsfusion/status.h"
#include "io/output_stream.h"

namespace capsfusion::webdataset {

class TarWriter {
 public:
  explicit TarWriter(io::OutputStream* out) : out_(out) {}

  //! Starts a regular-file member of `size` bytes; Append exactly that many.
  Status Begin(const std::string& name, uint64_t size, uint64_t mtime = 0, uint64_t mode = 0644);
  Status Append(std::string_view data);
  //! Pads the member to a whole block; fails if fewer bytes came than promised.
  Status End();
  //! A whole member at once.
  Status Add(const std::string& name, std::string_view data, uint64_t mtime = 0, uint64_t mode = 0644);
  //! The end-of-archive blocks.
  Status Finish();

 private:
  Status Header(const std::string& name, uint64_t size, char type, uint64_t mtime, uint64_t mode);

  io::OutputStream* out_;
  uint64_t left_ = 0;
  uint64_t size_ = 0;
  bool open_ = false;
};

}  // namespace capsfusion::webdataset
