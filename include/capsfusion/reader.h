// RecordReader: streams records from a dataset file, one row at a time.
//
// Formats: JSON array (the CapsFusion release), JSONL, CSV and TSV (RFC 4180
// quoting, header row); any of them gzip- or zstd-compressed (detected by magic
// bytes, not by name); Parquet (read a row group at a time); WebDataset tar
// shards (one record per sample key). Memory stays flat in the number of rows.
//
// Bad rows never stop the stream: Next() returns kReject with the place and the
// reason, and the next call goes on with the following row. Only an error that
// makes the rest of the file unreadable (I/O failure, a JSON array whose
// structure is broken beyond recovery) ends the stream; status() then says why.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion {

//! Input and output file formats.
enum class Format { kAuto, kJson, kJsonl, kCsv, kTsv, kParquet, kWebDataset };

//! Parses "json", "jsonl", "csv", "tsv", "parquet", "webdataset" (or "tar") or "auto".
StatusOr<Format> ParseFormat(const std::string& name);
//! Guesses the format from the file name (".jsonl.gz" -> kJsonl, ".parquet",
//! ".tar" / ".tar.gz"); kAuto if unknown.
Format FormatFromPath(const std::string& path);
//! "auto", "json", "jsonl", "csv", "tsv", "parquet" or "webdataset".
const char* FormatName(Format format);

//! A row the reader could not turn into a record.
struct Reject {
  std::string origin;  //!< "path:line"
  std::string reason;  //!< one line: what is wrong ("missing field laion_coco")
  std::string text;    //!< the offending input, cut to a bounded size
};

//! Which columns a columnar input (Parquet) reads.
enum class ColumnSelection {
  kAll,       //!< every column, so that rows pass through whole (fuse)
  kFieldMap,  //!< only the FieldMap's columns: raw, synthetic, id, references (eval, stats, train)
};

struct ReaderOptions {
  //! kAuto: from the file name, else sniffed from content ('[' JSON array, '{'
  //! JSONL, else CSV or TSV from the first line). A .json/.jsonl name whose
  //! content starts with the other one's character is read as the content says.
  Format format = Format::kAuto;
  FieldMap fields;
  bool require_raw = true;        //!< reject rows without a string raw caption
  bool require_synthetic = true;  //!< reject rows without a string synthetic caption
  bool require_references = false;  //!< reject rows without every reference field
  bool decode_entities = true;    //!< decode &quot; &amp; &#39; ... in the raw caption
  size_t max_field_bytes = 1 << 20;  //!< a longer caption, reference or id field rejects the row
  size_t max_row_bytes = 16 << 20;   //!< a longer row (line) is rejected, then skipped
  //! Parquet: the columns to read. Only these are fetched and decoded; with
  //! kFieldMap, generated ids hash only the columns read.
  ColumnSelection columns = ColumnSelection::kAll;
  //! With kFieldMap: more columns to read besides the FieldMap's (e.g. the
  //! candidate and reference fields eval scores).
  std::vector<std::string> extra_columns;
  //! Parquet with kAll: leave out columns this reader cannot decode (nested
  //! groups, INT96, ...) instead of failing at Open. A needed column (one the
  //! FieldMap names) that cannot be decoded is always an error.
  bool skip_unsupported_columns = false;
};

class RecordReader {
 public:
  enum class Result { kRecord, kReject, kEnd };

  virtual ~RecordReader() = default;

  //! Opens `path` ("-" reads standard input). See docs/formats.md.
  static StatusOr<std::unique_ptr<RecordReader>> Open(const std::string& path,
                                                      const ReaderOptions& options);

  //! Reads the next row into `*record` (kRecord) or `*reject` (kReject).
  //! kEnd at the end of the input or after a fatal error (see status()).
  virtual Result Next(Record* record, Reject* reject) = 0;

  //! OK unless a fatal error ended the stream early.
  virtual const Status& status() const = 0;

  //! Bytes consumed from the (decompressed) input so far: for progress.
  virtual uint64_t bytes_read() const = 0;
};

}  // namespace capsfusion
