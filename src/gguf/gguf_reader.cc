// GgufFile: parsing and validating a GGUF file in place (mmap or owned bytes).
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "gguf/byte_reader.h"
#include "gguf/gguf.h"
#include "gguf/quote.h"
#include "gguf/utf8_check.h"
#include "util/mapped_file.h"

namespace capsfusion::gguf {

namespace {

std::string At(uint64_t offset) { return " at byte " + std::to_string(offset); }

//! Minimum encoded bytes of one element of `type` (used to bound counts before allocating).
uint64_t MinEncodedSize(ValueType type) {
  if (type == ValueType::kString) return 8;       // length
  if (type == ValueType::kArray) return 4 + 8;    // element type + count
  return FixedValueSize(type);
}

}  // namespace

//! Parses and validates the bytes a GgufFile holds; fills its fields.
class GgufParser {
 public:
  explicit GgufParser(GgufFile* file) : f_(file), r_(file->base_, file->size_) {}

  Status Parse() {
    CF_RETURN_IF_ERROR(ParseHeader());
    CF_RETURN_IF_ERROR(ParseMetadata());
    CF_RETURN_IF_ERROR(ParseAlignment());
    CF_RETURN_IF_ERROR(ParseTensorInfos());
    return LocateTensorData();
  }

 private:
  Status ParseHeader() {
    if (f_->size_ < 4) {
      return Status::Corruption("not a GGUF file: " + std::to_string(f_->size_) +
                                " bytes is too short for the magic \"GGUF\"");
    }
    uint32_t magic = 0;
    CF_RETURN_IF_ERROR(r_.ReadUint(&magic, "magic"));
    if (magic != kGgufMagic) {
      return Status::Corruption("not a GGUF file: the first 4 bytes are " +
                                QuoteForError(std::string_view(reinterpret_cast<const char*>(f_->base_), 4)) +
                                ", expected 'GGUF'");
    }
    CF_RETURN_IF_ERROR(r_.ReadUint(&f_->version_, "version"));
    const uint32_t v = f_->version_;
    if (v == 1) {
      return Status::NotSupported("GGUF version 1 (32-bit counts) is not supported; re-convert the model "
                                  "with a current converter to get version 3");
    }
    if (v != 2 && v != 3) {
      std::string hint = (v & 0xFFFF) == 0 ? " (a big-endian file? only little-endian GGUF is supported)" : "";
      return Status::NotSupported("GGUF version " + std::to_string(v) + " is not supported (versions 2 and 3 are)" +
                                  hint);
    }
    CF_RETURN_IF_ERROR(r_.ReadUint(&n_tensors_, "tensor count"));
    CF_RETURN_IF_ERROR(r_.ReadUint(&n_kv_, "metadata KV count"));
    // Every KV and tensor info takes a minimum number of bytes; a count that cannot fit in
    // the rest of the file is rejected before anything is reserved.
    const uint64_t rest = r_.remaining();
    if (n_kv_ > kMaxMetadataKvs || n_kv_ > rest / kMinKvBytes) {
      return Status::Corruption("header claims " + std::to_string(n_kv_) + " metadata KVs but " +
                                (n_kv_ > kMaxMetadataKvs ? "the limit is " + std::to_string(kMaxMetadataKvs)
                                                         : "only " + std::to_string(rest) + " bytes follow") +
                                " (KV count at byte 16)");
    }
    if (n_tensors_ > kMaxTensors || n_tensors_ > rest / kMinTensorInfoBytes) {
      return Status::Corruption("header claims " + std::to_string(n_tensors_) + " tensors but " +
                                (n_tensors_ > kMaxTensors ? "the limit is " + std::to_string(kMaxTensors)
                                                          : "only " + std::to_string(rest) + " bytes follow") +
                                " (tensor count at byte 8)");
    }
    return Status::OK();
  }

  Status ParseMetadata() {
    f_->keys_.reserve(n_kv_);
    f_->values_.reserve(n_kv_);
    for (uint64_t i = 0; i < n_kv_; ++i) {
      const uint64_t at = r_.offset();
      const std::string where = "metadata KV #" + std::to_string(i) + At(at);
      std::string_view key;
      CF_RETURN_IF_ERROR(r_.ReadString(&key, "metadata key").WithContext(where));
      if (key.empty()) return Status::Corruption(where + ": empty key");
      if (key.size() > kMaxKeyBytes) {
        return Status::Corruption(where + ": key of " + std::to_string(key.size()) + " bytes (the limit is " +
                                  std::to_string(kMaxKeyBytes) + ")");
      }
      if (!IsValidUtf8(key)) return Status::Corruption(where + ": key " + QuoteForError(key) + " is not valid UTF-8");
      if (key.find('\0') != std::string_view::npos) {
        return Status::Corruption(where + ": key " + QuoteForError(key) + " contains a NUL byte");
      }
      const std::string key_where = "metadata key " + QuoteForError(key) + " (KV #" + std::to_string(i) + At(at) + ")";
      if (f_->key_index_.find(key) != f_->key_index_.end()) {
        return Status::Corruption(key_where + ": duplicate key");
      }
      uint32_t type_id = 0;
      const uint64_t type_at = r_.offset();
      CF_RETURN_IF_ERROR(r_.ReadUint(&type_id, "value type").WithContext(key_where));
      if (!IsValidValueType(type_id)) {
        return Status::Corruption(key_where + ": unknown value type " + std::to_string(type_id) + At(type_at));
      }
      Value value;
      CF_RETURN_IF_ERROR(ParseValue(static_cast<ValueType>(type_id), 0, &value).WithContext(key_where));
      f_->key_index_.emplace(std::string(key), f_->keys_.size());
      f_->keys_.emplace_back(key);
      f_->values_.push_back(std::move(value));
    }
    return Status::OK();
  }

  //! Reads one value of `type`; `depth` counts the arrays around it.
  Status ParseValue(ValueType type, int depth, Value* out) {
    const uint64_t at = r_.offset();
    switch (type) {
      case ValueType::kUint8: return ReadScalar<uint8_t>(out, Value::Uint8);
      case ValueType::kInt8: return ReadScalar<uint8_t>(out, [](uint8_t v) { return Value::Int8(static_cast<int8_t>(v)); });
      case ValueType::kUint16: return ReadScalar<uint16_t>(out, Value::Uint16);
      case ValueType::kInt16:
        return ReadScalar<uint16_t>(out, [](uint16_t v) { return Value::Int16(static_cast<int16_t>(v)); });
      case ValueType::kUint32: return ReadScalar<uint32_t>(out, Value::Uint32);
      case ValueType::kInt32:
        return ReadScalar<uint32_t>(out, [](uint32_t v) { return Value::Int32(static_cast<int32_t>(v)); });
      case ValueType::kUint64: return ReadScalar<uint64_t>(out, Value::Uint64);
      case ValueType::kInt64:
        return ReadScalar<uint64_t>(out, [](uint64_t v) { return Value::Int64(static_cast<int64_t>(v)); });
      case ValueType::kFloat32:
        return ReadScalar<uint32_t>(out, [](uint32_t v) {
          float f;
          std::memcpy(&f, &v, sizeof f);
          return Value::Float32(f);
        });
      case ValueType::kFloat64:
        return ReadScalar<uint64_t>(out, [](uint64_t v) {
          double d;
          std::memcpy(&d, &v, sizeof d);
          return Value::Float64(d);
        });
      case ValueType::kBool: {
        uint8_t b = 0;
        CF_RETURN_IF_ERROR(r_.ReadUint(&b, "BOOL value"));
        if (b > 1) return Status::Corruption("BOOL value " + std::to_string(b) + At(at) + " is neither 0 nor 1");
        *out = Value::Bool(b != 0);
        return Status::OK();
      }
      case ValueType::kString: {
        std::string_view s;
        CF_RETURN_IF_ERROR(r_.ReadString(&s, "STRING value"));
        *out = Value::String(std::string(s));
        return Status::OK();
      }
      case ValueType::kArray: return ParseArray(depth, out);
    }
    return Status::Corruption("unknown value type " + std::to_string(static_cast<uint32_t>(type)) + At(at));
  }

  template <typename Raw, typename Make>
  Status ReadScalar(Value* out, Make make) {
    Raw raw = 0;
    CF_RETURN_IF_ERROR(r_.ReadUint(&raw, "scalar value"));
    *out = make(raw);
    return Status::OK();
  }

  Status ParseArray(int depth, Value* out) {
    const uint64_t at = r_.offset();
    if (depth + 1 > kMaxArrayDepth) {
      return Status::Corruption("arrays nested more than " + std::to_string(kMaxArrayDepth) + " deep" + At(at));
    }
    uint32_t elem_id = 0;
    uint64_t count = 0;
    CF_RETURN_IF_ERROR(r_.ReadUint(&elem_id, "array element type"));
    if (!IsValidValueType(elem_id)) {
      return Status::Corruption("array" + At(at) + " has unknown element type " + std::to_string(elem_id));
    }
    const ValueType elem = static_cast<ValueType>(elem_id);
    CF_RETURN_IF_ERROR(r_.ReadUint(&count, "array length"));
    const uint64_t min_size = MinEncodedSize(elem);
    if (count > r_.remaining() / min_size) {
      return Status::Corruption("array" + At(at) + " claims " + std::to_string(count) + " " + ValueTypeName(elem) +
                                " elements but only " + std::to_string(r_.remaining()) + " bytes remain");
    }
    if (elem == ValueType::kString) {
      std::vector<std::string> strings;
      strings.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        std::string_view s;
        CF_RETURN_IF_ERROR(r_.ReadString(&s, "array string").WithContext("array" + At(at) + ", element " +
                                                                           std::to_string(i)));
        strings.emplace_back(s);
      }
      *out = Value::StringArray(std::move(strings));
      return Status::OK();
    }
    if (elem == ValueType::kArray) {
      nested_elements_ += count;
      if (nested_elements_ > kMaxNestedArrayElements) {
        return Status::Corruption("array" + At(at) + ": more than " + std::to_string(kMaxNestedArrayElements) +
                                  " nested arrays in the file");
      }
      std::vector<Value> elements;
      elements.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        Value v;
        CF_RETURN_IF_ERROR(ParseValue(ValueType::kArray, depth + 1, &v)
                               .WithContext("array" + At(at) + ", element " + std::to_string(i)));
        elements.push_back(std::move(v));
      }
      StatusOr<Value> built = Value::Array(ValueType::kArray, std::move(elements));
      if (!built.ok()) return Status::Corruption("array" + At(at) + ": " + built.status().message());
      *out = std::move(built).value();
      return Status::OK();
    }
    // Fixed-size elements: one bounds check, one copy.
    const uint64_t n_bytes = count * min_size;
    const uint8_t* p = r_.here();
    CF_RETURN_IF_ERROR(r_.Skip(n_bytes, "array elements"));
    if (elem == ValueType::kBool) {
      for (uint64_t i = 0; i < count; ++i) {
        if (p[i] > 1) {
          return Status::Corruption("array" + At(at) + ": BOOL element " + std::to_string(i) + " is " +
                                    std::to_string(p[i]) + ", neither 0 nor 1");
        }
      }
    }
    StatusOr<Value> built =
        Value::PackedArray(elem, std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n_bytes)));
    if (!built.ok()) return Status::Corruption("array" + At(at) + ": " + built.status().message());
    *out = std::move(built).value();
    return Status::OK();
  }

  Status ParseAlignment() {
    auto it = f_->key_index_.find(std::string_view(kAlignmentKey));
    if (it == f_->key_index_.end()) return Status::OK();
    const Value& v = f_->values_[it->second];
    if (v.type() != ValueType::kUint32) {
      return Status::Corruption(std::string("metadata key '") + kAlignmentKey + "' must be UINT32 but is " +
                                ValueTypeName(v.type()));
    }
    uint64_t a = 0;
    v.AsUint64(&a);
    if (a == 0 || (a & (a - 1)) != 0 || a > kMaxAlignment) {
      return Status::Corruption(std::string("metadata key '") + kAlignmentKey + "' is " + std::to_string(a) +
                                ", not a power of two up to " + std::to_string(kMaxAlignment));
    }
    f_->alignment_ = a;
    return Status::OK();
  }

  Status ParseTensorInfos() {
    f_->tensors_.reserve(n_tensors_);
    for (uint64_t i = 0; i < n_tensors_; ++i) {
      const uint64_t at = r_.offset();
      std::string where = "tensor info #" + std::to_string(i) + At(at);
      std::string_view name;
      CF_RETURN_IF_ERROR(r_.ReadString(&name, "tensor name").WithContext(where));
      if (name.empty()) return Status::Corruption(where + ": empty tensor name");
      if (!IsValidUtf8(name)) return Status::Corruption(where + ": name " + QuoteForError(name) + " is not valid UTF-8");
      if (name.find('\0') != std::string_view::npos) {
        return Status::Corruption(where + ": name " + QuoteForError(name) + " contains a NUL byte");
      }
      where = "tensor " + QuoteForError(name) + " (info #" + std::to_string(i) + At(at) + ")";
      if (name.size() > kMaxTensorNameBytes) {
        return Status::Corruption(where + ": name of " + std::to_string(name.size()) + " bytes (the limit is " +
                                  std::to_string(kMaxTensorNameBytes) + ")");
      }
      auto dup = f_->tensor_index_.find(name);
      if (dup != f_->tensor_index_.end()) {
        return Status::Corruption(where + ": duplicate tensor name (also tensor info #" +
                                  std::to_string(dup->second) + ")");
      }
      TensorInfo t;
      t.name = std::string(name);
      CF_RETURN_IF_ERROR(ParseShapeAndType(&t).WithContext(where));
      const uint64_t offset_at = r_.offset();
      CF_RETURN_IF_ERROR(r_.ReadUint(&t.offset, "tensor data offset").WithContext(where));
      if (t.offset % f_->alignment_ != 0) {
        return Status::Corruption(where + ": data offset " + std::to_string(t.offset) + At(offset_at) +
                                  " is not a multiple of the alignment " + std::to_string(f_->alignment_));
      }
      f_->tensor_index_.emplace(t.name, f_->tensors_.size());
      f_->tensors_.push_back(std::move(t));
    }
    return Status::OK();
  }

  Status ParseShapeAndType(TensorInfo* t) {
    uint32_t n_dims = 0;
    const uint64_t dims_at = r_.offset();
    CF_RETURN_IF_ERROR(r_.ReadUint(&n_dims, "n_dims"));
    if (n_dims == 0 || n_dims > kMaxTensorDims) {
      return Status::Corruption("n_dims " + std::to_string(n_dims) + At(dims_at) + " is outside 1.." +
                                std::to_string(kMaxTensorDims));
    }
    constexpr uint64_t kMaxElements = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    uint64_t n_elements = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t dim = 0;
      const uint64_t dim_at = r_.offset();
      CF_RETURN_IF_ERROR(r_.ReadUint(&dim, "dimension"));
      if (dim == 0) return Status::Corruption("dimension " + std::to_string(d) + At(dim_at) + " is 0");
      if (dim > kMaxElements / n_elements) {
        return Status::Corruption("dimension " + std::to_string(d) + " (" + std::to_string(dim) + ")" + At(dim_at) +
                                  " makes the element count overflow int64");
      }
      n_elements *= dim;
      t->shape.push_back(dim);
    }
    t->n_elements = n_elements;
    uint32_t type_id = 0;
    const uint64_t type_at = r_.offset();
    CF_RETURN_IF_ERROR(r_.ReadUint(&type_id, "tensor type"));
    if (!IsSupportedTensorType(type_id)) {
      const char* name = GgmlTypeName(type_id);
      if (name != nullptr) {
        return Status::NotSupported(std::string("type ") + name + " (ggml type " + std::to_string(type_id) + ")" +
                                    At(type_at) + " is not supported; this build reads F32, F16, Q4_0 and Q8_0");
      }
      return Status::Corruption("unknown ggml type id " + std::to_string(type_id) + At(type_at));
    }
    t->type = static_cast<TensorType>(type_id);
    const uint64_t block = static_cast<uint64_t>(BlockSize(t->type));
    if (t->shape[0] % block != 0) {
      return Status::Corruption("row length " + std::to_string(t->shape[0]) + " is not a multiple of the " +
                                TensorTypeName(t->type) + " block size " + std::to_string(block));
    }
    const uint64_t blocks = n_elements / block;
    const uint64_t block_bytes = BlockBytes(t->type);
    if (blocks > std::numeric_limits<uint64_t>::max() / block_bytes) {
      return Status::Corruption("byte size of " + std::to_string(n_elements) + " " + TensorTypeName(t->type) +
                                " elements overflows uint64");
    }
    t->n_bytes = blocks * block_bytes;
    return Status::OK();
  }

  Status LocateTensorData() {
    const uint64_t header_end = r_.offset();
    const uint64_t a = f_->alignment_;
    const uint64_t aligned = header_end + (a - header_end % a) % a;
    if (f_->tensors_.empty()) {
      // Files without tensors may end right after the header (llama.cpp writes them so).
      f_->data_offset_ = std::min<uint64_t>(aligned, f_->size_);
      return Status::OK();
    }
    if (aligned > f_->size_) {
      return Status::Corruption("data section should start at byte " + std::to_string(aligned) +
                                " (header ends at byte " + std::to_string(header_end) + ", alignment " +
                                std::to_string(a) + ") but the file has " + std::to_string(f_->size_) + " bytes");
    }
    f_->data_offset_ = aligned;
    const uint64_t data_size = f_->size_ - aligned;
    for (TensorInfo& t : f_->tensors_) {
      if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
        return Status::Corruption("tensor " + QuoteForError(t.name) + ": data at data-section offset " +
                                  std::to_string(t.offset) + " + " + std::to_string(t.n_bytes) +
                                  " bytes runs past the end of the file (data section is " + std::to_string(data_size) +
                                  " bytes from byte " + std::to_string(aligned) + ")");
      }
      t.data = f_->base_ + aligned + t.offset;
    }
    std::vector<size_t> order(f_->tensors_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return f_->tensors_[x].offset < f_->tensors_[y].offset; });
    for (size_t k = 1; k < order.size(); ++k) {
      const TensorInfo& prev = f_->tensors_[order[k - 1]];
      const TensorInfo& cur = f_->tensors_[order[k]];
      if (prev.offset + prev.n_bytes > cur.offset) {
        return Status::Corruption("tensor " + QuoteForError(prev.name) + " (data-section bytes [" +
                                  std::to_string(prev.offset) + ", " + std::to_string(prev.offset + prev.n_bytes) +
                                  ")) overlaps tensor " + QuoteForError(cur.name) + " (starting at " +
                                  std::to_string(cur.offset) + ")");
      }
    }
    return Status::OK();
  }

  GgufFile* f_;
  ByteReader r_;
  uint64_t n_tensors_ = 0;
  uint64_t n_kv_ = 0;
  uint64_t nested_elements_ = 0;
};

GgufFile::~GgufFile() = default;

StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  StatusOr<std::unique_ptr<MappedFile>> map = MappedFile::Open(path);
  if (!map.ok()) return map.status();
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->path_ = path;
  f->map_ = std::move(map).value();
  f->base_ = f->map_->data();
  f->size_ = f->map_->size();
  Status s = GgufParser(f.get()).Parse();
  if (!s.ok()) return s.WithContext(path);
  return f;
}

StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromBytes(std::string bytes) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  // A page-aligned copy, so tensor data is as aligned in memory as it is under mmap.
  constexpr size_t kPage = 4096;
  const size_t capacity = (bytes.size() / kPage + 1) * kPage;
  f->owned_.reset(static_cast<uint8_t*>(std::aligned_alloc(kPage, capacity)));
  if (f->owned_ == nullptr) return Status::OutOfRange("cannot allocate " + std::to_string(capacity) + " bytes");
  std::memcpy(f->owned_.get(), bytes.data(), bytes.size());
  f->base_ = f->owned_.get();
  f->size_ = bytes.size();
  Status s = GgufParser(f.get()).Parse();
  if (!s.ok()) return s;
  return f;
}

const Value* GgufFile::Find(std::string_view key) const {
  auto it = key_index_.find(key);
  return it == key_index_.end() ? nullptr : &values_[it->second];
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

}  // namespace capsfusion::gguf
