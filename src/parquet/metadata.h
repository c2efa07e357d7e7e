// Parquet file metadata (the footer's FileMetaData) and page headers: the
// subset of parquet.thrift that reading and writing flat files needs. Fields
// this code does not use are skipped when parsing and left out when writing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/status.h"

namespace capsfusion::parquet {

//! Physical types (parquet.thrift `Type`).
enum PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};

//! Field repetition (parquet.thrift `FieldRepetitionType`).
enum Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };

//! Value and level encodings (parquet.thrift `Encoding`).
enum Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};

//! Compression codecs (parquet.thrift `CompressionCodec`).
enum Codec : int32_t {
  kUncompressed = 0,
  kSnappy = 1,
  kGzip = 2,
  kLzo = 3,
  kBrotli = 4,
  kLz4 = 5,
  kZstd = 6,
  kLz4Raw = 7,
};

//! Page types (parquet.thrift `PageType`).
enum PageType : int32_t { kDataPage = 0, kIndexPage = 1, kDictionaryPage = 2, kDataPageV2 = 3 };

//! Legacy annotations (parquet.thrift `ConvertedType`) that matter here.
enum ConvertedType : int32_t {
  kUtf8 = 0,
  kMap = 1,
  kMapKeyValue = 2,
  kList = 3,
  kEnum = 4,
  kDecimal = 5,
  kUint8 = 11,
  kUint16 = 12,
  kUint32 = 13,
  kUint64 = 14,
  kJson = 19,
  kBson = 20,
  kInterval = 21,
};

//! The LogicalType union: `kind` is the id of the member that is set (0: none).
struct LogicalType {
  enum Kind : int16_t {
    kNone = 0, kString = 1, kMap = 2, kList = 3, kEnum = 4, kDecimal = 5, kDate = 6, kTime = 7,
    kTimestamp = 8, kInteger = 10, kUnknown = 11, kJson = 12, kBson = 13, kUuid = 14, kFloat16 = 15,
  };
  int16_t kind = kNone;
  int32_t decimal_scale = 0;      //!< kDecimal
  int32_t decimal_precision = 0;  //!< kDecimal
  int8_t int_bit_width = 0;       //!< kInteger
  bool int_signed = true;         //!< kInteger
};

struct SchemaElement {
  int32_t type = -1;  //!< PhysicalType; -1 for a group
  int32_t type_length = 0;
  int32_t repetition = -1;  //!< Repetition; -1 when absent (the root)
  std::string name;
  int32_t num_children = 0;
  int32_t converted_type = -1;
  int32_t scale = 0;
  int32_t precision = 0;
  LogicalType logical;
};

struct Statistics {
  bool has_min = false, has_max = false, has_null_count = false;
  std::string min_value, max_value;  //!< fields 6 and 5 (the legacy min/max are ignored)
  int64_t null_count = 0;
};

struct ColumnMetaData {
  int32_t type = -1;
  std::vector<int32_t> encodings;
  std::vector<std::string> path_in_schema;
  int32_t codec = kUncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  bool has_dictionary_page_offset = false;
  int64_t dictionary_page_offset = 0;
  bool has_statistics = false;
  Statistics statistics;
};

struct ColumnChunk {
  std::string file_path;  //!< set: the data lives in another file (unsupported)
  int64_t file_offset = 0;
  bool has_meta_data = false;
  ColumnMetaData meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
};

struct KeyValue {
  std::string key, value;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<KeyValue> key_value_metadata;
  std::string created_by;
  //! Writing: emit one TypeDefinedOrder per leaf column (min/max are valid).
  int32_t type_defined_column_orders = 0;
  bool encrypted = false;  //!< an encryption_algorithm was present
};

struct DataPageHeader {
  int32_t num_values = 0;
  int32_t encoding = kPlain;
  int32_t definition_level_encoding = kRle;
  int32_t repetition_level_encoding = kRle;
};

struct DictionaryPageHeader {
  int32_t num_values = 0;
  int32_t encoding = kPlain;
};

struct DataPageHeaderV2 {
  int32_t num_values = 0;
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t encoding = kPlain;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

struct PageHeader {
  int32_t type = -1;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  bool has_data_page = false, has_dictionary_page = false, has_data_page_v2 = false;
  DataPageHeader data_page;
  DictionaryPageHeader dictionary_page;
  DataPageHeaderV2 data_page_v2;
  //! Writing only: statistics for a v1 data page (none when has_min is false).
  Statistics statistics;
};

//! Parses a serialized FileMetaData. kCorruption on malformed bytes.
Status ParseFileMetaData(const uint8_t* data, size_t size, FileMetaData* out);
//! Parses the page header at the start of `data`; *header_size is its length.
Status ParsePageHeader(const uint8_t* data, size_t size, PageHeader* out, size_t* header_size);

//! Serializes (appends) a FileMetaData.
void SerializeFileMetaData(const FileMetaData& meta, std::string* out);
//! Serializes (appends) a page header.
void SerializePageHeader(const PageHeader& header, std::string* out);

//! "SNAPPY", "ZSTD", ... for messages.
const char* CodecName(int32_t codec);
//! "PLAIN", "RLE_DICTIONARY", ... for messages.
const char* EncodingName(int32_t encoding);
//! "INT32", "BYTE_ARRAY", ... for messages.
const char* PhysicalTypeName(int32_t type);

}  // namespace capsfusion::parquet
