// Value: GGUF metadata values, their encoding and their text form.
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "gguf/gguf.h"

namespace capsfusion::gguf {

namespace {

void AppendLe(std::string* out, uint64_t v, size_t n) {
  for (size_t k = 0; k < n; ++k) out->push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

uint64_t LoadLe(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[k])) << (8 * k);
  return v;
}

template <typename T>
T BitCast(uint64_t bits) {
  T out;
  static_assert(sizeof(T) <= sizeof(bits), "too wide");
  if constexpr (sizeof(T) == 4) {
    uint32_t b = static_cast<uint32_t>(bits);
    std::memcpy(&out, &b, sizeof out);
  } else {
    std::memcpy(&out, &bits, sizeof out);
  }
  return out;
}

uint64_t FloatBits32(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

uint64_t FloatBits64(double f) {
  uint64_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

//! Decodes one fixed-size element from its little-endian bytes.
Value DecodeFixed(ValueType type, const char* p) {
  const uint64_t v = LoadLe(p, FixedValueSize(type));
  switch (type) {
    case ValueType::kUint8: return Value::Uint8(static_cast<uint8_t>(v));
    case ValueType::kInt8: return Value::Int8(static_cast<int8_t>(v));
    case ValueType::kUint16: return Value::Uint16(static_cast<uint16_t>(v));
    case ValueType::kInt16: return Value::Int16(static_cast<int16_t>(v));
    case ValueType::kUint32: return Value::Uint32(static_cast<uint32_t>(v));
    case ValueType::kInt32: return Value::Int32(static_cast<int32_t>(v));
    case ValueType::kUint64: return Value::Uint64(v);
    case ValueType::kInt64: return Value::Int64(static_cast<int64_t>(v));
    case ValueType::kFloat32: return Value::Float32(BitCast<float>(v));
    case ValueType::kFloat64: return Value::Float64(BitCast<double>(v));
    case ValueType::kBool: return Value::Bool(v != 0);
    default: return Value();
  }
}

void AppendQuoted(std::ostringstream& os, const std::string& s, size_t max_bytes = 64) {
  os << '"';
  size_t n = std::min(s.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (c < 0x20 || c == 0x7F) {
      static const char kHex[] = "0123456789abcdef";
      os << "\\x" << kHex[c >> 4] << kHex[c & 15];
    } else {
      os << c;
    }
  }
  if (n < s.size()) os << "...";
  os << '"';
}

}  // namespace

const char* ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kUint8: return "UINT8";
    case ValueType::kInt8: return "INT8";
    case ValueType::kUint16: return "UINT16";
    case ValueType::kInt16: return "INT16";
    case ValueType::kUint32: return "UINT32";
    case ValueType::kInt32: return "INT32";
    case ValueType::kFloat32: return "FLOAT32";
    case ValueType::kBool: return "BOOL";
    case ValueType::kString: return "STRING";
    case ValueType::kArray: return "ARRAY";
    case ValueType::kUint64: return "UINT64";
    case ValueType::kInt64: return "INT64";
    case ValueType::kFloat64: return "FLOAT64";
  }
  return "unknown";
}

bool IsValidValueType(uint32_t id) { return id <= static_cast<uint32_t>(ValueType::kFloat64); }

size_t FixedValueSize(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool: return 1;
    case ValueType::kUint16:
    case ValueType::kInt16: return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32: return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64: return 8;
    case ValueType::kString:
    case ValueType::kArray: return 0;
  }
  return 0;
}

#define CF_UNSIGNED_CTOR(Name, T, VT) \
  Value Value::Name(T v) {            \
    Value out;                        \
    out.type_ = ValueType::VT;        \
    out.u_ = v;                       \
    return out;                       \
  }
#define CF_SIGNED_CTOR(Name, T, VT) \
  Value Value::Name(T v) {          \
    Value out;                      \
    out.type_ = ValueType::VT;      \
    out.i_ = v;                     \
    return out;                     \
  }
CF_UNSIGNED_CTOR(Uint8, uint8_t, kUint8)
CF_UNSIGNED_CTOR(Uint16, uint16_t, kUint16)
CF_UNSIGNED_CTOR(Uint32, uint32_t, kUint32)
CF_UNSIGNED_CTOR(Uint64, uint64_t, kUint64)
CF_SIGNED_CTOR(Int8, int8_t, kInt8)
CF_SIGNED_CTOR(Int16, int16_t, kInt16)
CF_SIGNED_CTOR(Int32, int32_t, kInt32)
CF_SIGNED_CTOR(Int64, int64_t, kInt64)
#undef CF_UNSIGNED_CTOR
#undef CF_SIGNED_CTOR

// Floats keep their exact bits in u_ (NaN payloads, signalling NaNs) next to their value in f_.
Value Value::Float32(float v) {
  Value out;
  out.type_ = ValueType::kFloat32;
  out.u_ = FloatBits32(v);
  out.f_ = v;
  return out;
}

Value Value::Float64(double v) {
  Value out;
  out.type_ = ValueType::kFloat64;
  out.u_ = FloatBits64(v);
  out.f_ = v;
  return out;
}

Value Value::Bool(bool v) {
  Value out;
  out.type_ = ValueType::kBool;
  out.u_ = v ? 1 : 0;
  return out;
}

Value Value::String(std::string v) {
  Value out;
  out.type_ = ValueType::kString;
  out.str_ = std::move(v);
  return out;
}

Value Value::StringArray(std::vector<std::string> v) {
  Value out;
  out.type_ = ValueType::kArray;
  out.element_type_ = ValueType::kString;
  out.count_ = v.size();
  out.strings_ = std::move(v);
  out.depth_ = 1;
  return out;
}

Value Value::Float32Array(const std::vector<float>& v) {
  Value out;
  out.type_ = ValueType::kArray;
  out.element_type_ = ValueType::kFloat32;
  out.count_ = v.size();
  out.packed_.reserve(v.size() * 4);
  for (float f : v) AppendLe(&out.packed_, FloatBits32(f), 4);
  out.depth_ = 1;
  return out;
}

Value Value::Int32Array(const std::vector<int32_t>& v) {
  Value out;
  out.type_ = ValueType::kArray;
  out.element_type_ = ValueType::kInt32;
  out.count_ = v.size();
  out.packed_.reserve(v.size() * 4);
  for (int32_t x : v) AppendLe(&out.packed_, static_cast<uint32_t>(x), 4);
  out.depth_ = 1;
  return out;
}

StatusOr<Value> Value::PackedArray(ValueType element_type, std::string bytes) {
  const size_t width = FixedValueSize(element_type);
  if (width == 0) {
    return Status::InvalidArgument(std::string("packed array of ") + ValueTypeName(element_type) +
                                   ": element type is not fixed-size");
  }
  if (bytes.size() % width != 0) {
    return Status::InvalidArgument("packed array of " + std::string(ValueTypeName(element_type)) + ": " +
                                   std::to_string(bytes.size()) + " bytes is not a whole number of elements");
  }
  if (element_type == ValueType::kBool) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (static_cast<uint8_t>(bytes[i]) > 1) {
        return Status::InvalidArgument("packed BOOL array: element " + std::to_string(i) + " is " +
                                       std::to_string(static_cast<uint8_t>(bytes[i])) + ", not 0 or 1");
      }
    }
  }
  Value out;
  out.type_ = ValueType::kArray;
  out.element_type_ = element_type;
  out.count_ = bytes.size() / width;
  out.packed_ = std::move(bytes);
  out.depth_ = 1;
  return out;
}

StatusOr<Value> Value::Array(ValueType element_type, std::vector<Value> elements) {
  if (!IsValidValueType(static_cast<uint32_t>(element_type))) {
    return Status::InvalidArgument("array of invalid element type " +
                                   std::to_string(static_cast<uint32_t>(element_type)));
  }
  for (size_t i = 0; i < elements.size(); ++i) {
    if (elements[i].type() != element_type) {
      return Status::InvalidArgument("array of " + std::string(ValueTypeName(element_type)) + ": element " +
                                     std::to_string(i) + " is " + ValueTypeName(elements[i].type()));
    }
  }
  Value out;
  out.type_ = ValueType::kArray;
  out.element_type_ = element_type;
  out.count_ = elements.size();
  out.depth_ = 1;
  if (element_type == ValueType::kString) {
    out.strings_.reserve(elements.size());
    for (Value& e : elements) out.strings_.push_back(std::move(e.str_));
  } else if (element_type == ValueType::kArray) {
    for (const Value& e : elements) out.depth_ = std::max(out.depth_, e.depth_ + 1);
    if (out.depth_ > kMaxArrayDepth) {
      return Status::InvalidArgument("arrays nested " + std::to_string(out.depth_) + " deep; the limit is " +
                                     std::to_string(kMaxArrayDepth));
    }
    out.arrays_ = std::move(elements);
  } else {
    out.packed_.reserve(elements.size() * FixedValueSize(element_type));
    for (const Value& e : elements) e.AppendEncoded(&out.packed_);
  }
  return out;
}

bool Value::is_integer() const {
  switch (type_) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kUint16:
    case ValueType::kInt16:
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kUint64:
    case ValueType::kInt64: return true;
    default: return false;
  }
}

bool Value::is_float() const { return type_ == ValueType::kFloat32 || type_ == ValueType::kFloat64; }

namespace {
bool IsUnsignedType(ValueType t) {
  return t == ValueType::kUint8 || t == ValueType::kUint16 || t == ValueType::kUint32 || t == ValueType::kUint64;
}
}  // namespace

bool Value::AsUint64(uint64_t* out) const {
  if (!is_integer()) return false;
  if (IsUnsignedType(type_)) {
    *out = u_;
    return true;
  }
  if (i_ < 0) return false;
  *out = static_cast<uint64_t>(i_);
  return true;
}

bool Value::AsInt64(int64_t* out) const {
  if (!is_integer()) return false;
  if (IsUnsignedType(type_)) {
    if (u_ > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    *out = static_cast<int64_t>(u_);
    return true;
  }
  *out = i_;
  return true;
}

bool Value::AsDouble(double* out) const {
  if (!is_float()) return false;
  *out = f_;
  return true;
}

bool Value::AsBool(bool* out) const {
  if (type_ != ValueType::kBool) return false;
  *out = u_ != 0;
  return true;
}

Value Value::Element(size_t i) const {
  if (type_ != ValueType::kArray || i >= count_) return Value();
  if (element_type_ == ValueType::kString) return Value::String(strings_[i]);
  if (element_type_ == ValueType::kArray) return arrays_[i];
  const size_t width = FixedValueSize(element_type_);
  return DecodeFixed(element_type_, packed_.data() + i * width);
}

uint64_t Value::EncodedSize() const {
  switch (type_) {
    case ValueType::kString: return 8 + str_.size();
    case ValueType::kArray: {
      uint64_t n = 4 + 8;
      if (element_type_ == ValueType::kString) {
        for (const std::string& s : strings_) n += 8 + s.size();
      } else if (element_type_ == ValueType::kArray) {
        for (const Value& v : arrays_) n += v.EncodedSize();
      } else {
        n += packed_.size();
      }
      return n;
    }
    default: return FixedValueSize(type_);
  }
}

void Value::AppendEncoded(std::string* out) const {
  switch (type_) {
    case ValueType::kUint8:
    case ValueType::kUint16:
    case ValueType::kUint32:
    case ValueType::kUint64:
    case ValueType::kBool: AppendLe(out, u_, FixedValueSize(type_)); return;
    case ValueType::kInt8:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64: AppendLe(out, static_cast<uint64_t>(i_), FixedValueSize(type_)); return;
    case ValueType::kFloat32: AppendLe(out, u_, 4); return;
    case ValueType::kFloat64: AppendLe(out, u_, 8); return;
    case ValueType::kString:
      AppendLe(out, str_.size(), 8);
      out->append(str_);
      return;
    case ValueType::kArray:
      AppendLe(out, static_cast<uint32_t>(element_type_), 4);
      AppendLe(out, count_, 8);
      if (element_type_ == ValueType::kString) {
        for (const std::string& s : strings_) {
          AppendLe(out, s.size(), 8);
          out->append(s);
        }
      } else if (element_type_ == ValueType::kArray) {
        for (const Value& v : arrays_) v.AppendEncoded(out);
      } else {
        out->append(packed_);
      }
      return;
  }
}

std::string Value::DebugString(size_t max_elements) const {
  std::ostringstream os;
  os.precision(9);
  switch (type_) {
    case ValueType::kUint8:
    case ValueType::kUint16:
    case ValueType::kUint32:
    case ValueType::kUint64: os << u_; break;
    case ValueType::kInt8:
    case ValueType::kInt16:
    case ValueType::kInt32:
    case ValueType::kInt64: os << i_; break;
    case ValueType::kFloat32:
    case ValueType::kFloat64: os << f_; break;
    case ValueType::kBool: os << (u_ ? "true" : "false"); break;
    case ValueType::kString: AppendQuoted(os, str_); break;
    case ValueType::kArray: {
      os << '[' << ValueTypeName(element_type_) << " x" << count_;
      const size_t shown = std::min(count_, max_elements);
      for (size_t i = 0; i < shown; ++i) {
        os << (i == 0 ? ": " : ", ");
        if (element_type_ == ValueType::kString) {
          AppendQuoted(os, strings_[i]);
        } else if (element_type_ == ValueType::kArray) {
          os << arrays_[i].DebugString(max_elements);
        } else {
          os << Element(i).DebugString(max_elements);
        }
      }
      if (shown < count_) os << ", ...";
      os << ']';
      break;
    }
  }
  return os.str();
}

}  // namespace capsfusion::gguf
