// GGUF v3: the model file format of ggml / llama.cpp. Reader (GgufFile) and writer (GgufWriter).
//
// Byte layout. Every integer and float is little-endian; there is no padding except
// where written below.
//
//   header
//     char     magic[4]            "GGUF" (0x47 0x47 0x55 0x46)
//     uint32   version             3 (2 is read too: same layout; 1 had 32-bit counts and is refused)
//     uint64   tensor_count
//     uint64   metadata_kv_count
//   metadata_kv[metadata_kv_count]
//     string   key                 non-empty, valid UTF-8 without NUL, unique in the file
//     uint32   value_type          a ValueType below
//     value                        as value_type says:
//   value encodings
//     UINT8, INT8, BOOL            1 byte (BOOL: 0 = false, 1 = true, anything else is invalid)
//     UINT16, INT16                2 bytes
//     UINT32, INT32, FLOAT32       4 bytes
//     UINT64, INT64, FLOAT64       8 bytes
//     STRING                       uint64 length, then `length` bytes (no terminating NUL)
//     ARRAY                        uint32 element_type, uint64 count, then `count` values of
//                                  element_type, each encoded as above (arrays may nest)
//   tensor_info[tensor_count]
//     string   name                non-empty, valid UTF-8 without NUL, unique, at most 63 bytes
//     uint32   n_dims              1..4
//     uint64   dims[n_dims]        ggml order: dims[0] is the innermost (contiguous) one
//     uint32   type                ggml_type id (see tensor_types.h)
//     uint64   offset              of the tensor's data, from the start of the data section;
//                                  a multiple of the alignment
//   padding                        zero bytes up to the next multiple of the alignment
//   tensor data                    the data section; each tensor's bytes at its offset, the
//                                  writer zero-pads each to a multiple of the alignment
//
// The alignment is the UINT32 value of the key "general.alignment" (a power of two; we
// accept up to 2^24), or 32 when the key is absent. File offsets of the data section and of every tensor are
// therefore multiples of the alignment, so an mmap of the file gives aligned tensors.
// docs/gguf.md lists the validation rules the reader applies and the keys we use.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/status.h"
#include "gguf/tensor_types.h"

namespace capsfusion {
class MappedFile;
}

namespace capsfusion::gguf {

//! GGUF metadata value types (gguf_type).
enum class ValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12
};

constexpr uint32_t kGgufMagic = 0x46554747;        //!< "GGUF" read as a little-endian uint32
constexpr uint32_t kGgufVersion = 3;               //!< the version the writer produces
constexpr uint32_t kDefaultAlignment = 32;         //!< when general.alignment is absent
constexpr uint32_t kMaxAlignment = 1u << 24;       //!< larger alignments are refused (real files use 32..4096)
constexpr size_t kMaxTensorDims = 4;               //!< GGML_MAX_DIMS
constexpr size_t kMaxTensorNameBytes = 63;         //!< GGML_MAX_NAME - 1 (names are NUL-terminated in ggml)
constexpr size_t kMaxKeyBytes = 65535;             //!< the GGUF spec's limit on key length
constexpr int kMaxArrayDepth = 8;                  //!< arrays nested deeper than this are refused
constexpr const char* kAlignmentKey = "general.alignment";

// Reader limits: counts are checked against these and against the bytes left in the file
// before anything is allocated, so the reader's memory stays a small multiple of the
// header's size whatever the header claims.
constexpr uint64_t kMaxMetadataKvs = uint64_t{1} << 20;          //!< KV pairs per file
constexpr uint64_t kMaxTensors = uint64_t{1} << 20;              //!< tensors per file
constexpr uint64_t kMaxNestedArrayElements = uint64_t{1} << 20;  //!< array-of-array elements per file
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;                  //!< key length, 1-byte key, type, UINT8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  //!< name length, name, n_dims, 1 dim, type, offset

//! "UINT8", "STRING", "ARRAY", ... ; "unknown" outside the enum.
const char* ValueTypeName(ValueType type);
//! True when `id` is one of the 13 ValueType values.
bool IsValidValueType(uint32_t id);
//! Bytes of one encoded scalar of `type`; 0 for STRING, ARRAY and invalid types.
size_t FixedValueSize(ValueType type);

//! One metadata value: a scalar, a string, or an array of values of one element type.
//!
//! Arrays of fixed-size elements keep their elements packed (little-endian, as in the
//! file), so a 1 GB array costs about 1 GB; Element(i) decodes one on demand.
class Value {
 public:
  Value() = default;  //!< UINT8 0

  static Value Uint8(uint8_t v);
  static Value Int8(int8_t v);
  static Value Uint16(uint16_t v);
  static Value Int16(int16_t v);
  static Value Uint32(uint32_t v);
  static Value Int32(int32_t v);
  static Value Uint64(uint64_t v);
  static Value Int64(int64_t v);
  static Value Float32(float v);
  static Value Float64(double v);
  static Value Bool(bool v);
  static Value String(std::string v);
  static Value StringArray(std::vector<std::string> v);
  static Value Float32Array(const std::vector<float>& v);
  static Value Int32Array(const std::vector<int32_t>& v);
  //! An array of any element type. InvalidArgument when an element's type differs from
  //! `element_type` (nested arrays may differ from each other), or nesting is too deep.
  static StatusOr<Value> Array(ValueType element_type, std::vector<Value> elements);
  //! An array of fixed-size elements from their packed little-endian bytes.
  //! InvalidArgument unless `element_type` is fixed-size and `bytes` is a whole number of
  //! elements (bools must be 0 or 1).
  static StatusOr<Value> PackedArray(ValueType element_type, std::string bytes);

  ValueType type() const { return type_; }
  bool is_array() const { return type_ == ValueType::kArray; }
  bool is_string() const { return type_ == ValueType::kString; }
  //! True for the 8 integer types (not BOOL).
  bool is_integer() const;
  //! True for FLOAT32 and FLOAT64.
  bool is_float() const;

  //! Scalar readers: false (and *out untouched) when the type does not match or the value
  //! does not fit. AsUint64/AsInt64 take any integer type; AsDouble takes FLOAT32/FLOAT64.
  bool AsUint64(uint64_t* out) const;
  bool AsInt64(int64_t* out) const;
  bool AsDouble(double* out) const;
  bool AsBool(bool* out) const;
  //! The string of a STRING value; empty for any other type.
  const std::string& str() const { return str_; }

  //! Array element type (meaningful only when is_array()).
  ValueType element_type() const { return element_type_; }
  //! Number of array elements; 0 for a scalar.
  size_t size() const { return count_; }
  //! Element `i` of an array, decoded; a default Value when out of range or not an array.
  Value Element(size_t i) const;
  //! Elements of a STRING array (empty otherwise).
  const std::vector<std::string>& strings() const { return strings_; }
  //! Elements of an ARRAY-of-arrays (empty otherwise).
  const std::vector<Value>& arrays() const { return arrays_; }
  //! Packed little-endian elements of a fixed-size array (empty otherwise).
  const std::string& packed() const { return packed_; }

  //! Bytes this value takes when encoded (without the type tag of a KV).
  uint64_t EncodedSize() const;
  //! Appends the encoding (without the leading value_type) to `out`.
  void AppendEncoded(std::string* out) const;
  //! Short human-readable form for errors and dumps: `42`, `"llama"`, `[UINT32 x3: 1, 2, 3]`.
  std::string DebugString(size_t max_elements = 8) const;

  //! Depth of array nesting: 0 for a scalar, 1 for an array of scalars, ...
  int ArrayDepth() const { return depth_; }

 private:
  ValueType type_ = ValueType::kUint8;
  uint64_t u_ = 0;   // unsigned integers, bools, and the exact bits of floats
  int64_t i_ = 0;    // signed integers
  double f_ = 0.0;   // floats
  std::string str_;  // STRING
  // ARRAY
  ValueType element_type_ = ValueType::kUint8;
  size_t count_ = 0;
  std::string packed_;                // fixed-size elements
  std::vector<std::string> strings_;  // STRING elements
  std::vector<Value> arrays_;         // ARRAY elements
  int depth_ = 0;
};

//! One tensor of a GGUF file.
struct TensorInfo {
  std::string name;
  std::vector<uint64_t> shape;  //!< ggml order: shape[0] = innermost (row length); 1..4 dims, none zero
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;          //!< relative to the data section
  uint64_t n_elements = 0;      //!< product of shape
  uint64_t n_bytes = 0;         //!< encoded size (without padding)
  //! Points into the mapped file (valid while the GgufFile lives); in memory it is aligned to
  //! min(alignment(), 4096) bytes, for Open and FromBytes alike.
  const uint8_t* data = nullptr;
};

//! A parsed, fully validated GGUF file. Tensor data is not copied: it stays in the map.
class GgufFile {
 public:
  //! Maps `path` and validates it. Errors name the path, and the key, tensor or byte
  //! offset at fault: IOError (cannot read), Corruption (malformed), NotSupported
  //! (valid GGUF this build cannot use: version 1, a tensor type other than F32/F16/Q4_0/Q8_0).
  static StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);
  //! Parses an in-memory file (tests, fuzzing); the object keeps a page-aligned copy of the bytes.
  static StatusOr<std::unique_ptr<GgufFile>> FromBytes(std::string bytes);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  //! The path given to Open ("" for FromBytes).
  const std::string& path() const { return path_; }
  //! File offset of the data section.
  uint64_t data_offset() const { return data_offset_; }
  //! Total bytes of the file.
  uint64_t file_size() const { return size_; }

  //! The value of `key`, or nullptr if absent.
  const Value* Find(std::string_view key) const;
  bool Has(std::string_view key) const { return Find(key) != nullptr; }

  //! Typed getters: NotFound when the key is absent, InvalidArgument when its type does not
  //! fit, OutOfRange when the value does not fit the result type.
  StatusOr<uint32_t> GetUint32(std::string_view key) const;  //!< any integer type whose value fits
  StatusOr<uint64_t> GetUint64(std::string_view key) const;  //!< any integer type whose value fits
  StatusOr<int32_t> GetInt32(std::string_view key) const;    //!< any integer type whose value fits
  StatusOr<int64_t> GetInt64(std::string_view key) const;    //!< any integer type whose value fits
  StatusOr<float> GetFloat32(std::string_view key) const;    //!< FLOAT32 or FLOAT64
  StatusOr<bool> GetBool(std::string_view key) const;
  StatusOr<std::string> GetString(std::string_view key) const;
  StatusOr<std::vector<std::string>> GetStringArray(std::string_view key) const;
  StatusOr<std::vector<float>> GetFloat32Array(std::string_view key) const;   //!< FLOAT32/FLOAT64 elements
  StatusOr<std::vector<int32_t>> GetInt32Array(std::string_view key) const;   //!< integer elements that fit

  //! Metadata keys in file order.
  const std::vector<std::string>& keys() const { return keys_; }
  //! Tensors in file order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  //! The tensor called `name`, or nullptr.
  const TensorInfo* FindTensor(std::string_view name) const;

 private:
  friend class GgufParser;
  GgufFile() = default;

  std::string path_;
  std::unique_ptr<MappedFile> map_;  // Open
  struct FreeDeleter {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, FreeDeleter> owned_;  // FromBytes: a page-aligned copy
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;

  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::string> keys_;
  std::vector<Value> values_;
  std::map<std::string, size_t, std::less<>> key_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;
};

//! Builds a GGUF v3 file: metadata in insertion order (setting a key again replaces its
//! value in place), tensors in AddTensor order, each aligned and zero-padded.
//!
//! Setters cannot fail on the spot; a bad key or alignment is remembered and reported by
//! status(), WriteFile() and (as an empty result) WriteToString().
class GgufWriter {
 public:
  GgufWriter() = default;

  //! Sets any value. The key must be non-empty valid UTF-8 of at most 65535 bytes.
  //! "general.alignment" given as UINT32 is the same as SetAlignment.
  void Set(std::string key, Value v);
  void SetUint8(std::string key, uint8_t v) { Set(std::move(key), Value::Uint8(v)); }
  void SetInt8(std::string key, int8_t v) { Set(std::move(key), Value::Int8(v)); }
  void SetUint16(std::string key, uint16_t v) { Set(std::move(key), Value::Uint16(v)); }
  void SetInt16(std::string key, int16_t v) { Set(std::move(key), Value::Int16(v)); }
  void SetUint32(std::string key, uint32_t v) { Set(std::move(key), Value::Uint32(v)); }
  void SetInt32(std::string key, int32_t v) { Set(std::move(key), Value::Int32(v)); }
  void SetUint64(std::string key, uint64_t v) { Set(std::move(key), Value::Uint64(v)); }
  void SetInt64(std::string key, int64_t v) { Set(std::move(key), Value::Int64(v)); }
  void SetFloat32(std::string key, float v) { Set(std::move(key), Value::Float32(v)); }
  void SetFloat64(std::string key, double v) { Set(std::move(key), Value::Float64(v)); }
  void SetBool(std::string key, bool v) { Set(std::move(key), Value::Bool(v)); }
  void SetString(std::string key, std::string v) { Set(std::move(key), Value::String(std::move(v))); }
  void SetStringArray(std::string key, std::vector<std::string> v) {
    Set(std::move(key), Value::StringArray(std::move(v)));
  }
  void SetFloat32Array(std::string key, std::vector<float> v) { Set(std::move(key), Value::Float32Array(v)); }
  void SetInt32Array(std::string key, std::vector<int32_t> v) { Set(std::move(key), Value::Int32Array(v)); }

  //! Adds a tensor; `data` holds n_bytes of already-encoded data in `type` (copied).
  //! InvalidArgument (nothing added) for: an empty, non-UTF-8, over-long or duplicate name;
  //! an unsupported type; 0 or more than 4 dims; a zero dim; an element count that
  //! overflows; a row length that is not a multiple of the block size; n_bytes different
  //! from the size shape and type imply; null data with n_bytes > 0.
  Status AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape, const void* data,
                   size_t n_bytes);

  //! Data alignment; default 32, written as general.alignment only when != 32.
  //! Must be a power of two up to kMaxAlignment (else status() reports it).
  void SetAlignment(uint32_t a);
  uint32_t alignment() const { return alignment_; }

  //! OK, or the first error a setter recorded.
  Status status() const { return status_; }
  size_t kv_count() const { return kvs_.size(); }
  size_t tensor_count() const { return tensors_.size(); }

  //! Writes the file atomically: a temp file in the same directory, fsync, rename.
  Status WriteFile(const std::string& path) const;
  //! The whole file as bytes (tests); "" when status() is not OK.
  std::string WriteToString() const;

 private:
  struct PendingTensor {
    std::string name;
    TensorType type;
    std::vector<uint64_t> shape;
    std::string bytes;
  };
  //! Header, KVs, tensor infos and the padding before the data section.
  std::string EncodeHeader() const;
  void Fail(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }

  std::vector<std::pair<std::string, Value>> kvs_;
  std::map<std::string, size_t, std::less<>> kv_index_;      // key -> position in kvs_
  std::vector<PendingTensor> tensors_;
  std::map<std::string, size_t, std::less<>> tensor_index_;  // name -> position in tensors_
  uint32_t alignment_ = kDefaultAlignment;
  Status status_;
};

}  // namespace capsfusion::gguf
