// GgufFile's typed metadata getters.
#include <cmath>
#include <cstring>
#include <limits>

#include "gguf/gguf.h"
#include "gguf/quote.h"

namespace capsfusion::gguf {

namespace {

Status Missing(std::string_view key) { return Status::NotFound("metadata key " + QuoteForError(key) + " not found"); }

Status WrongType(std::string_view key, const Value& v, const char* expected) {
  std::string actual = ValueTypeName(v.type());
  if (v.is_array()) actual += std::string(" of ") + ValueTypeName(v.element_type());
  return Status::InvalidArgument("metadata key " + QuoteForError(key) + " is " + actual + ", expected " + expected);
}

template <typename T>
StatusOr<T> GetInteger(const GgufFile& f, std::string_view key) {
  const Value* v = f.Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_integer()) return WrongType(key, *v, "an integer");
  if constexpr (std::is_unsigned_v<T>) {
    uint64_t x = 0;
    if (!v->AsUint64(&x) || x > std::numeric_limits<T>::max()) {
      return Status::OutOfRange("metadata key " + QuoteForError(key) + " = " + v->DebugString() +
                                " does not fit the requested unsigned type");
    }
    return static_cast<T>(x);
  } else {
    int64_t x = 0;
    if (!v->AsInt64(&x) || x < std::numeric_limits<T>::min() || x > std::numeric_limits<T>::max()) {
      return Status::OutOfRange("metadata key " + QuoteForError(key) + " = " + v->DebugString() +
                                " does not fit the requested signed type");
    }
    return static_cast<T>(x);
  }
}

bool IsIntegerType(ValueType t) {
  switch (t) {
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

float LoadF32(const char* p) {
  uint32_t u = 0;
  for (int k = 0; k < 4; ++k) u |= static_cast<uint32_t>(static_cast<uint8_t>(p[k])) << (8 * k);
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

}  // namespace

StatusOr<uint32_t> GgufFile::GetUint32(std::string_view key) const { return GetInteger<uint32_t>(*this, key); }
StatusOr<uint64_t> GgufFile::GetUint64(std::string_view key) const { return GetInteger<uint64_t>(*this, key); }
StatusOr<int32_t> GgufFile::GetInt32(std::string_view key) const { return GetInteger<int32_t>(*this, key); }
StatusOr<int64_t> GgufFile::GetInt64(std::string_view key) const { return GetInteger<int64_t>(*this, key); }

StatusOr<float> GgufFile::GetFloat32(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  double d = 0;
  if (!v->AsDouble(&d)) return WrongType(key, *v, "FLOAT32 or FLOAT64");
  return static_cast<float>(d);
}

StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  bool b = false;
  if (!v->AsBool(&b)) return WrongType(key, *v, "BOOL");
  return b;
}

StatusOr<std::string> GgufFile::GetString(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_string()) return WrongType(key, *v, "STRING");
  return v->str();
}

StatusOr<std::vector<std::string>> GgufFile::GetStringArray(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array() || v->element_type() != ValueType::kString) return WrongType(key, *v, "ARRAY of STRING");
  return v->strings();
}

StatusOr<std::vector<float>> GgufFile::GetFloat32Array(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array()) return WrongType(key, *v, "ARRAY of FLOAT32");
  std::vector<float> out;
  out.reserve(v->size());
  if (v->element_type() == ValueType::kFloat32) {
    for (size_t i = 0; i < v->size(); ++i) out.push_back(LoadF32(v->packed().data() + 4 * i));
  } else if (v->element_type() == ValueType::kFloat64) {
    for (size_t i = 0; i < v->size(); ++i) {
      double d = 0;
      v->Element(i).AsDouble(&d);
      out.push_back(static_cast<float>(d));
    }
  } else {
    return WrongType(key, *v, "ARRAY of FLOAT32");
  }
  return out;
}

StatusOr<std::vector<int32_t>> GgufFile::GetInt32Array(std::string_view key) const {
  const Value* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array() || !IsIntegerType(v->element_type())) {
    return WrongType(key, *v, "ARRAY of an integer type");
  }
  std::vector<int32_t> out;
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    int64_t x = 0;
    if (!v->Element(i).AsInt64(&x) || x < std::numeric_limits<int32_t>::min() ||
        x > std::numeric_limits<int32_t>::max()) {
      return Status::OutOfRange("metadata key " + QuoteForError(key) + ": element " + std::to_string(i) + " = " +
                                v->Element(i).DebugString() + " does not fit int32");
    }
    out.push_back(static_cast<int32_t>(x));
  }
  return out;
}

}  // namespace capsfusion::gguf
