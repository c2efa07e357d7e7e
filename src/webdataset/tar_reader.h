// TarReader: streams the members of a tar archive (ustar, pax and GNU long
// names) from a SourceBuffer, so a shard can be plain, gzip- or
// zstd-compressed, or standard input. A damaged header is reported and
// skipped: the reader looks for the next block that is a valid header and
// goes on from there. Member data is never held whole unless asked for.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "io/source_buffer.h"

namespace capsfusion::webdataset {

struct TarMember {
  std::string name;      //!< the full path (pax path, GNU long name or ustar prefix/name)
  char type = '0';       //!< typeflag: '0' (or NUL) a file, '5' a directory, ...
  uint64_t size = 0;     //!< data bytes
  uint64_t mode = 0644;
  uint64_t mtime = 0;
  uint64_t offset = 0;   //!< offset of its header in the (decompressed) archive
  bool is_file() const { return type == '0' || type == '\0' || type == '7'; }
};

class TarReader {
 public:
  enum class Result { kMember, kEnd, kError };

  //! Reads from `src` (not owned); `name` is used in messages.
  TarReader(io::SourceBuffer* src, std::string name) : src_(src), name_(std::move(name)) {}

  //! The next member's header (its data, if not read, is skipped first).
  //! kError: a damaged header (error() says where); the next call resumes at
  //! the next valid header. kEnd: the end-of-archive blocks, the end of the
  //! input, or a truncated archive (then truncated() is true and error() says so).
  Result Next(TarMember* member);

  //! Reads the current member's data into *out when it is at most `max_bytes`;
  //! otherwise skips it and returns false with error() set.
  bool ReadData(size_t max_bytes, std::string* out);
  //! Passes the current member's data to `sink` in pieces.
  bool CopyData(const std::function<bool(std::string_view)>& sink);

  const std::string& error() const { return error_; }
  bool truncated() const { return truncated_; }
  //! Decompressed bytes consumed so far.
  uint64_t offset() const { return src_->offset(); }

 private:
  bool Ensure(size_t n);
  bool SkipBytes(uint64_t n);
  bool FinishData();
  Result Fail(std::string what, bool resync);
  // Parses the 512-byte header at the window's start into *m (name fields,
  // size...). False when the checksum does not match.
  static bool ParseHeader(const unsigned char* h, TarMember* m);
  bool ReadExtension(uint64_t size, std::string* out);

  io::SourceBuffer* src_;
  std::string name_;
  std::string error_;
  uint64_t data_left_ = 0;   // unread data of the current member
  uint64_t padding_ = 0;     // its padding to the next 512-byte block
  bool truncated_ = false;
  bool done_ = false;
};

//! Splits a member name into the WebDataset sample key and extension: the key
//! is the directory part plus the file name up to its first '.', the
//! extension the rest ("a/b.c.jpg" -> "a/b", "c.jpg"). False when the file
//! name has no '.'.
bool SplitKey(std::string_view name, std::string_view* key, std::string_view* extension);

}  // namespace capsfusion::webdataset
