// ColumnReader: the values of one column chunk, one row at a time, as JSON
// text. It holds the chunk's compressed bytes, one decompressed page and the
// dictionary; pages are decoded as they are reached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "parquet/delta_decoder.h"
#include "parquet/metadata.h"
#include "parquet/rle_hybrid.h"
#include "parquet/schema.h"

namespace capsfusion::parquet {

class ColumnReader {
 public:
  explicit ColumnReader(const ColumnDescriptor& column) : col_(column) {}

  //! Starts on a new chunk: `chunk` holds its pages (header + body each),
  //! compressed with `codec`; `num_rows` rows are expected from it.
  void Start(std::string chunk, int32_t codec, int64_t num_rows);

  //! Appends the next row's value to *json ("null" for a null). Sets *bad
  //! (and appends nothing) when the value cannot be JSON (a string that is
  //! not UTF-8). A non-OK status is fatal for the chunk.
  Status Next(std::string* json, bool* bad);

  const ColumnDescriptor& column() const { return col_; }

 private:
  Status LoadPage();
  Status LoadDictionary(const PageHeader& h, const uint8_t* body, size_t size);
  Status StartValues(int32_t encoding, const uint8_t* data, size_t size);
  // Decodes one non-null value into *json.
  Status DecodeValue(std::string* json, bool* bad);
  // One PLAIN value at vp_: its raw bytes (fixed width or length-prefixed).
  Status PlainBytes(const uint8_t** p, size_t* n);
  // JSON for raw PLAIN bytes of this column's type.
  bool AppendRaw(const uint8_t* p, size_t n, std::string* json);
  Status Corrupt(const std::string& what) const;

  const ColumnDescriptor& col_;
  std::string chunk_;
  size_t pos_ = 0;
  int32_t codec_ = kUncompressed;
  int64_t rows_left_ = 0;

  std::string page_;           // the decompressed page (or values section)
  std::string scratch_;        // the v2 values section when it is compressed
  int64_t page_left_ = 0;      // rows (values with nulls) left in the page
  RleDecoder def_;             // definition levels (optional columns)

  int32_t encoding_ = kPlain;  // of the current data page
  const uint8_t* vp_ = nullptr;
  const uint8_t* vend_ = nullptr;
  uint64_t bit_ = 0;           // PLAIN booleans: next bit
  RleDecoder idx_;             // dictionary indices, RLE booleans
  DeltaDecoder delta_;         // DELTA_BINARY_PACKED values, byte-array lengths
  DeltaDecoder prefix_;        // DELTA_BYTE_ARRAY prefix lengths
  std::string prev_;           // DELTA_BYTE_ARRAY: the previous value
  size_t bss_count_ = 0;        // BYTE_STREAM_SPLIT: values in the page
  size_t bss_width_ = 0;
  size_t bss_index_ = 0;

  bool have_dict_ = false;
  std::string dict_json_;          // dictionary entries as JSON text, back to back
  std::vector<uint32_t> dict_off_;  // entry i is [off[i], off[i+1]); equal offsets: not UTF-8
};

}  // namespace capsfusion::parquet
