// InputStream: bytes of a file or standard input, gzip- or zstd-decompressed
// when the first bytes carry the gzip or zstd magic number (the name is not
// consulted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "capsfusion/status.h"

namespace capsfusion::io {

//! Decompressed bytes of one input.
class InputStream {
 public:
  //! What the magic bytes said.
  enum class Compression { kNone, kGzip, kZstd };

  //! Opens `path`; "-" is standard input. Fails for a missing file, a
  //! directory, or a compression we cannot read (xz, bzip2).
  static StatusOr<std::unique_ptr<InputStream>> Open(const std::string& path);

  virtual ~InputStream() = default;

  //! Reads up to `n` decompressed bytes; fewer only at the end of the input or
  //! when an error stops it (the bytes before the error are returned). Returns
  //! 0 at the end or once an error happened (then status() is not OK).
  virtual size_t Read(char* buf, size_t n) = 0;

  //! An I/O error, or a corrupt or truncated compressed stream (the message
  //! names the file and the compressed byte offset).
  virtual const Status& status() const = 0;

  //! The compression found at Open().
  virtual Compression compression() const = 0;

  //! "path" or "<stdin>", for messages.
  const std::string& name() const { return name_; }

 protected:
  std::string name_;
};

//! "none", "gzip" or "zstd".
const char* CompressionName(InputStream::Compression c);

}  // namespace capsfusion::io
