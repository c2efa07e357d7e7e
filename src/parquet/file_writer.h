// FileWriter: writes a flat Parquet file one row group at a time: OPTIONAL
// columns of strings (BYTE_ARRAY, UTF8), INT64, DOUBLE or BOOLEAN; data
// pages v1; per column chunk PLAIN or a dictionary (whichever is smaller);
// min/max/null_count statistics in the footer; ZSTD, SNAPPY, GZIP, LZ4_RAW or
// no compression. Only one row group's pages are in memory at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "parquet/metadata.h"

namespace capsfusion::parquet {

//! The column types this writer produces.
enum class WriteType { kString, kInt64, kDouble, kBool };

//! "string", "int64", "double" or "bool".
const char* WriteTypeName(WriteType type);

//! One row group's values of one column.
struct ColumnData {
  std::vector<uint8_t> present;  //!< per row: 1 value, 0 null
  // The present values, in row order, in the member of the column's type:
  std::vector<int64_t> ints;
  std::vector<double> doubles;
  std::vector<uint8_t> bools;
  std::string bytes;                 //!< strings back to back
  std::vector<uint32_t> ends = {0};  //!< string i is bytes[ends[i], ends[i+1])

  void Clear();
  size_t count() const;  //!< present values
};

struct FileWriterOptions {
  int32_t codec = kZstd;         //!< kUncompressed, kSnappy, kGzip, kZstd or kLz4Raw
  int compression_level = 3;     //!< ZSTD and GZIP
  bool dictionary = true;        //!< use a dictionary where it is smaller than PLAIN
  size_t page_bytes = 1 << 20;   //!< values per data page, roughly
  size_t dictionary_bytes = 1 << 20;  //!< a bigger dictionary is abandoned (PLAIN instead)
  std::string created_by = "capsfusion";
  std::vector<KeyValue> key_value_metadata;  //!< file key-value metadata, in order
};

class FileWriter {
 public:
  //! `sink` receives the file's bytes in order; a non-OK status stops writing.
  FileWriter(std::function<Status(std::string_view)> sink, FileWriterOptions options);

  //! Fixes the columns (before the first row group).
  void SetSchema(std::vector<std::string> names, std::vector<WriteType> types);
  //! Writes one row group of `rows` rows; columns[i] matches the schema.
  Status WriteRowGroup(const std::vector<ColumnData>& columns, int64_t rows);
  //! Writes the footer. The file is complete once this returns OK.
  Status Finish();

  const std::vector<WriteType>& types() const { return types_; }
  const std::vector<std::string>& names() const { return names_; }
  int64_t bytes_written() const { return offset_; }

 private:
  Status Emit(std::string_view bytes);
  Status WriteChunk(size_t c, const ColumnData& data, int64_t rows, ColumnChunk* out);
  Status WritePage(const PageHeader& header_in, const std::string& body, ColumnMetaData* meta);

  std::function<Status(std::string_view)> sink_;
  FileWriterOptions options_;
  std::vector<std::string> names_;
  std::vector<WriteType> types_;
  FileMetaData meta_;
  int64_t offset_ = 0;
  bool started_ = false;
  std::string compressed_;
};

}  // namespace capsfusion::parquet
