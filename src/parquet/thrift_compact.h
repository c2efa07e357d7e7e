// The Thrift compact protocol, as far as Parquet metadata needs it: a reader
// that never trusts a length it has not checked against the bytes left, and a
// writer. Parquet's footer (FileMetaData) and every page header are Thrift
// structs encoded this way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace capsfusion::parquet {

//! Compact-protocol type codes (the low nibble of a field header).
enum class ThriftType : uint8_t {
  kStop = 0,
  kTrue = 1,  //!< a bool field whose value is true (also a bool list element)
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

//! Reads compact-protocol values from a byte span. The first error sticks:
//! every later read returns zero values, and ok() is false with error() saying
//! what went wrong and where.
class ThriftReader {
 public:
  ThriftReader(const uint8_t* data, size_t size) : p_(data), begin_(data), end_(data + size) {}

  //! Enters a struct (call before the first NextField of that struct).
  void BeginStruct();
  //! The next field's id and type; false at the struct's STOP (or on error).
  bool NextField(int16_t* id, ThriftType* type);
  //! Leaves the struct entered last.
  void EndStruct();

  int32_t ReadI32();
  int64_t ReadI64();
  int8_t ReadByte();
  double ReadDouble();
  //! A field's bool comes in its type code; list elements are one byte.
  bool ReadBool(ThriftType field_type);
  //! A binary or string value (length checked against the bytes left).
  std::string_view ReadBinary();
  //! A list or set header: element type and count (count <= bytes left).
  bool ReadListHeader(ThriftType* element_type, uint32_t* count);
  //! Skips one value of `type` (structs, lists and maps nest at most 64 deep).
  void Skip(ThriftType type);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  //! Bytes consumed so far.
  size_t position() const { return static_cast<size_t>(p_ - begin_); }
  //! Records an error (the first one wins).
  void Fail(const std::string& what);

 private:
  uint64_t ReadVarint();
  void SkipDepth(ThriftType type, int depth);

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  int16_t last_id_ = 0;
  int16_t stack_[64];
  int depth_ = 0;
  std::string error_;
};

//! Appends compact-protocol values to a string.
class ThriftWriter {
 public:
  explicit ThriftWriter(std::string* out) : out_(out) {}

  void BeginStruct();
  void EndStruct();  //!< writes STOP and returns to the enclosing struct
  void FieldI32(int16_t id, int32_t v);
  void FieldI64(int16_t id, int64_t v);
  void FieldBool(int16_t id, bool v);
  void FieldBinary(int16_t id, std::string_view v);
  //! A struct-typed field: call BeginStruct()... EndStruct() right after.
  void FieldStruct(int16_t id);
  //! A list-typed field: write `count` elements right after.
  void FieldList(int16_t id, ThriftType element_type, uint32_t count);
  void ElementI32(int32_t v) { Varint(ZigZag(v)); }
  void ElementBinary(std::string_view v);

 private:
  void FieldHeader(int16_t id, ThriftType type);
  void Varint(uint64_t v);
  static uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }

  std::string* out_;
  int16_t last_id_ = 0;
  int16_t stack_[64];
  int depth_ = 0;
};

}  // namespace capsfusion::parquet
