// RecordWriter: writes records as JSONL, a JSON array, CSV or TSV (gzip- or
// zstd-compressed when the name ends in .gz or .zst), Parquet, or WebDataset
// tar shards; RejectWriter: the rejects file. Write errors (disk full, a
// closed pipe) come back as Status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion {

//! Parquet output settings (docs/formats.md, "Parquet output").
struct ParquetWriteOptions {
  enum class Compression { kZstd, kSnappy, kGzip, kLz4Raw, kNone };
  Compression compression = Compression::kZstd;
  int compression_level = 3;           //!< ZSTD (1..22) and GZIP (1..9)
  size_t row_group_rows = 100000;      //!< rows buffered per row group
  size_t row_group_bytes = 128 << 20;  //!< buffered value bytes that also close a row group
  bool dictionary = true;              //!< dictionary-encode a column chunk when that is smaller
  size_t page_bytes = 1 << 20;         //!< values per data page, roughly
  //! File key-value metadata written to the footer, in order (e.g. {"capsfusion.provenance", json}).
  std::vector<std::pair<std::string, std::string>> key_value_metadata;
};

//! Parses "zstd", "snappy", "gzip", "lz4_raw" (or "lz4") and "none" (or "uncompressed").
StatusOr<ParquetWriteOptions::Compression> ParseParquetCompression(const std::string& name);

struct WriterOptions {
  Format format = Format::kAuto;  //!< kAuto: from the file name (default JSONL)
  //! CSV/TSV: the header. Parquet: the columns. Empty: the first record's
  //! field names (Parquet: those of the first row group). Fields outside them
  //! are left out; a missing field is an empty cell (Parquet: null).
  std::vector<std::string> columns;
  ParquetWriteOptions parquet;
  //! WebDataset output: each of these record fields that a record has is
  //! added to its sample as the member KEY.<field>.txt.
  std::vector<std::string> webdataset_text_fields = {"capsfusion"};
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;

  //! Creates (truncates) `path`; "-" writes standard output. A name ending in
  //! .gz or .zst is compressed accordingly.
  static StatusOr<std::unique_ptr<RecordWriter>> Open(const std::string& path,
                                                      const WriterOptions& options);

  //! Writes all of `record.fields`, in order (JSON values verbatim; CSV/TSV:
  //! JSON strings unescaped into cells, other values as their JSON text).
  virtual Status Write(const Record& record) = 0;
  //! Flushes and closes; reports any write error that happened on the way.
  virtual Status Close() = 0;
};

//! Writes rejected rows as JSONL: {"origin", "reason", "text"}.
class RejectWriter {
 public:
  //! Nothing is created until the first Write(), so clean runs leave no file.
  explicit RejectWriter(std::string path);
  ~RejectWriter();
  //! Appends one reject (creating the file on the first call).
  Status Write(const Reject& reject);
  //! Flushes and closes; OK (and no file) when nothing was written.
  Status Close();
  const std::string& path() const { return path_; }
  //! Rejects written so far.
  uint64_t count() const { return count_; }

 private:
  std::string path_;
  std::unique_ptr<RecordWriter> out_;
  Record record_;
  uint64_t count_ = 0;
};

}  // namespace capsfusion
