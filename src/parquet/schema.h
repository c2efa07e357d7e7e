// The flat view of a Parquet schema that records are made from: one column
// per top-level field, with how its values turn into JSON text, or why they
// cannot (nested groups, repeated fields, types outside the supported set).
#pragma once

#include <string>
#include <vector>

#include "capsfusion/status.h"
#include "parquet/metadata.h"

namespace capsfusion::parquet {

//! How a column's values become JSON text.
enum class ValueKind {
  kString,   //!< BYTE_ARRAY: a JSON string (the bytes must be UTF-8)
  kBool,     //!< BOOLEAN: true / false
  kInt32,    //!< INT32 (signed)
  kUInt32,   //!< INT32 annotated unsigned
  kInt64,    //!< INT64 (signed)
  kUInt64,   //!< INT64 annotated unsigned
  kFloat,    //!< FLOAT
  kDouble,   //!< DOUBLE
  kDecimal,  //!< INT32, INT64 or FIXED_LEN_BYTE_ARRAY (up to 16 bytes) with a DECIMAL annotation
};

struct ColumnDescriptor {
  std::string name;        //!< the top-level field name
  int leaf = -1;           //!< index of its column chunk in each row group (-1: a group)
  int32_t physical_type = -1;
  int32_t type_length = 0;  //!< FIXED_LEN_BYTE_ARRAY width
  bool optional = false;   //!< max definition level 1 (else 0)
  ValueKind kind = ValueKind::kString;
  int scale = 0;           //!< kDecimal
  std::string unsupported;  //!< non-empty: why this column cannot be read
};

struct Schema {
  std::vector<ColumnDescriptor> columns;  //!< top-level fields in schema order
  int num_leaves = 0;                     //!< column chunks per row group
};

//! Walks the flattened schema list of `meta`. kCorruption when the tree is
//! malformed (child counts that do not add up); unsupported fields are kept
//! with a reason.
StatusOr<Schema> BuildSchema(const FileMetaData& meta);

}  // namespace capsfusion::parquet
