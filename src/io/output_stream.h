// OutputStream: buffered writes to a file or standard output, gzip- or
// zstd-compressed when the file name ends in .gz or .zst. Every write error
// (disk full, a closed pipe) comes back as a Status; a closed pipe never
// kills the process with SIGPIPE.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion::io {

//! Buffered, optionally compressed output to one file or stdout.
class OutputStream {
 public:
  //! Creates (truncates) `path`; "-" is standard output.
  static StatusOr<std::unique_ptr<OutputStream>> Open(const std::string& path);

  virtual ~OutputStream() = default;

  //! The buffer to append to; call Flushed() after appending.
  std::string* buffer() { return &buf_; }
  //! Writes the buffer out once it is big enough; returns the first error.
  Status Flushed() {
    if (buf_.size() < kFlushBytes) return status_;
    return Flush();
  }
  //! Appends `bytes`, writing out the buffer when it is full.
  Status Append(std::string_view bytes) {
    buf_.append(bytes);
    return Flushed();
  }
  //! Writes everything buffered (and the compressed stream's end) and closes.
  //! Safe to call twice.
  virtual Status Close() = 0;

  //! The path, or "<stdout>".
  const std::string& name() const { return name_; }

 protected:
  static constexpr size_t kFlushBytes = 1 << 20;
  virtual Status Flush() = 0;

  std::string name_;
  std::string buf_;
  Status status_;
};

}  // namespace capsfusion::io
