// ParquetFile: an open Parquet file: its footer, its flat schema, and the
// bytes of any column chunk, each range checked against the file first.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "capsfusion/status.h"
#include "parquet/metadata.h"
#include "parquet/schema.h"

namespace capsfusion::parquet {

class ParquetFile {
 public:
  //! Opens `path` and reads its footer. kCorruption for a file that is not
  //! Parquet or whose footer is damaged; kNotSupported for encrypted files.
  static StatusOr<std::unique_ptr<ParquetFile>> Open(const std::string& path);
  //! The same over bytes in memory (tests, the fuzz target); `name` is for messages.
  static StatusOr<std::unique_ptr<ParquetFile>> FromBytes(std::string bytes, const std::string& name);
  ~ParquetFile();

  const FileMetaData& metadata() const { return meta_; }
  const Schema& schema() const { return schema_; }
  int num_row_groups() const { return static_cast<int>(meta_.row_groups.size()); }
  int64_t file_size() const { return size_; }

  //! Checks row group `g`'s layout (chunk count, row count) and every chunk's
  //! byte range; call before ReadChunk on that group.
  Status CheckRowGroup(int g) const;
  //! Reads the pages of leaf column `leaf` in row group `g` into *out.
  Status ReadChunk(int g, int leaf, std::string* out) const;
  //! Total bytes read from the file so far.
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  ParquetFile() = default;
  Status ReadFooter();
  Status ReadAt(int64_t offset, size_t n, std::string* out) const;
  // The byte range of a chunk: [*start, *start + *length).
  Status ChunkRange(int g, int leaf, int64_t* start, int64_t* length) const;

  std::string path_;
  int fd_ = -1;
  std::string bytes_;  // the file, when it lives in memory (fd_ < 0)
  int64_t size_ = 0;
  int64_t data_end_ = 0;  // where the footer starts
  FileMetaData meta_;
  Schema schema_;
  mutable uint64_t bytes_read_ = 0;
};

}  // namespace capsfusion::parquet
