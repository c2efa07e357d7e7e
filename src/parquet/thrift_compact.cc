#include "parquet/thrift_compact.h"

#include <cstring>

namespace capsfusion::parquet {

namespace {
constexpr int kMaxDepth = 64;
}

void ThriftReader::Fail(const std::string& what) {
  if (error_.empty()) error_ = what + " at byte " + std::to_string(position());
  p_ = end_;
}

uint64_t ThriftReader::ReadVarint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p_ >= end_) {
      Fail("truncated varint");
      return 0;
    }
    uint8_t b = *p_++;
    if (shift == 63 && (b & 0x7e) != 0) {
      Fail("varint too long");
      return 0;
    }
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  Fail("varint too long");
  return 0;
}

void ThriftReader::BeginStruct() {
  if (depth_ >= kMaxDepth) {
    Fail("structs nested too deep");
    return;
  }
  stack_[depth_++] = last_id_;
  last_id_ = 0;
}

void ThriftReader::EndStruct() {
  if (depth_ > 0) last_id_ = stack_[--depth_];
}

bool ThriftReader::NextField(int16_t* id, ThriftType* type) {
  if (!ok()) return false;
  if (p_ >= end_) {
    Fail("truncated struct");
    return false;
  }
  uint8_t b = *p_++;
  uint8_t t = b & 0x0f;
  if (t == 0) return false;
  if (t > 12) {
    Fail("bad field type " + std::to_string(t));
    return false;
  }
  uint8_t delta = b >> 4;
  if (delta != 0) {
    *id = static_cast<int16_t>(last_id_ + delta);
  } else {
    uint64_t z = ReadVarint();
    *id = static_cast<int16_t>(static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1));
  }
  last_id_ = *id;
  *type = static_cast<ThriftType>(t);
  return ok();
}

int64_t ThriftReader::ReadI64() {
  uint64_t z = ReadVarint();
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

int32_t ThriftReader::ReadI32() {
  int64_t v = ReadI64();
  if (v < INT32_MIN || v > INT32_MAX) {
    Fail("i32 out of range");
    return 0;
  }
  return static_cast<int32_t>(v);
}

int8_t ThriftReader::ReadByte() {
  if (p_ >= end_) {
    Fail("truncated byte");
    return 0;
  }
  return static_cast<int8_t>(*p_++);
}

double ThriftReader::ReadDouble() {
  if (end_ - p_ < 8) {
    Fail("truncated double");
    return 0;
  }
  double d;
  std::memcpy(&d, p_, 8);
  p_ += 8;
  return d;
}

bool ThriftReader::ReadBool(ThriftType field_type) {
  if (field_type == ThriftType::kTrue) return true;
  if (field_type == ThriftType::kFalse) return false;
  Fail("bool field with type " + std::to_string(static_cast<int>(field_type)));
  return false;
}

std::string_view ThriftReader::ReadBinary() {
  uint64_t n = ReadVarint();
  if (!ok()) return {};
  if (n > static_cast<uint64_t>(end_ - p_)) {
    Fail("binary length " + std::to_string(n) + " past the end");
    return {};
  }
  std::string_view v(reinterpret_cast<const char*>(p_), n);
  p_ += n;
  return v;
}

bool ThriftReader::ReadListHeader(ThriftType* element_type, uint32_t* count) {
  if (p_ >= end_) {
    Fail("truncated list");
    return false;
  }
  uint8_t b = *p_++;
  uint64_t n = b >> 4;
  if (n == 15) n = ReadVarint();
  uint8_t t = b & 0x0f;
  if (!ok()) return false;
  if (t == 0 || t > 12) {
    Fail("bad list element type " + std::to_string(t));
    return false;
  }
  // Every element takes at least one byte, so a longer list cannot be real.
  if (n > static_cast<uint64_t>(end_ - p_)) {
    Fail("list of " + std::to_string(n) + " elements past the end");
    return false;
  }
  *element_type = static_cast<ThriftType>(t);
  *count = static_cast<uint32_t>(n);
  return true;
}

void ThriftReader::Skip(ThriftType type) { SkipDepth(type, 0); }

void ThriftReader::SkipDepth(ThriftType type, int depth) {
  if (depth > kMaxDepth) {
    Fail("values nested too deep");
    return;
  }
  switch (type) {
    case ThriftType::kTrue:
    case ThriftType::kFalse:
      return;  // the value is the type code (a field) ...
    case ThriftType::kByte:
      ReadByte();
      return;
    case ThriftType::kI16:
    case ThriftType::kI32:
    case ThriftType::kI64:
      ReadVarint();
      return;
    case ThriftType::kDouble:
      ReadDouble();
      return;
    case ThriftType::kBinary:
      ReadBinary();
      return;
    case ThriftType::kList:
    case ThriftType::kSet: {
      ThriftType et;
      uint32_t n;
      if (!ReadListHeader(&et, &n)) return;
      for (uint32_t i = 0; i < n && ok(); ++i) {
        if (et == ThriftType::kTrue || et == ThriftType::kFalse) {
          ReadByte();  // ... but a list's bool element is one byte
        } else {
          SkipDepth(et, depth + 1);
        }
      }
      return;
    }
    case ThriftType::kMap: {
      uint64_t n = ReadVarint();
      if (!ok() || n == 0) return;
      if (n > static_cast<uint64_t>(end_ - p_)) {
        Fail("map past the end");
        return;
      }
      uint8_t kv = static_cast<uint8_t>(ReadByte());
      auto kt = static_cast<ThriftType>(kv >> 4), vt = static_cast<ThriftType>(kv & 0x0f);
      if ((kv >> 4) == 0 || (kv >> 4) > 12 || (kv & 0x0f) == 0 || (kv & 0x0f) > 12) {
        Fail("bad map types");
        return;
      }
      for (uint64_t i = 0; i < n && ok(); ++i) {
        for (ThriftType t : {kt, vt}) {
          if (t == ThriftType::kTrue || t == ThriftType::kFalse) {
            ReadByte();
          } else {
            SkipDepth(t, depth + 1);
          }
        }
      }
      return;
    }
    case ThriftType::kStruct: {
      BeginStruct();
      int16_t id;
      ThriftType t;
      while (NextField(&id, &t)) SkipDepth(t, depth + 1);
      EndStruct();
      return;
    }
    case ThriftType::kStop:
      Fail("unexpected STOP");
      return;
  }
}

void ThriftWriter::Varint(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ThriftWriter::BeginStruct() {
  if (depth_ < kMaxDepth) stack_[depth_++] = last_id_;
  last_id_ = 0;
}

void ThriftWriter::EndStruct() {
  out_->push_back(0);
  if (depth_ > 0) last_id_ = stack_[--depth_];
}

void ThriftWriter::FieldHeader(int16_t id, ThriftType type) {
  int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_->push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_->push_back(static_cast<char>(type));
    Varint(ZigZag(id));
  }
  last_id_ = id;
}

void ThriftWriter::FieldI32(int16_t id, int32_t v) {
  FieldHeader(id, ThriftType::kI32);
  Varint(ZigZag(v));
}

void ThriftWriter::FieldI64(int16_t id, int64_t v) {
  FieldHeader(id, ThriftType::kI64);
  Varint(ZigZag(v));
}

void ThriftWriter::FieldBool(int16_t id, bool v) { FieldHeader(id, v ? ThriftType::kTrue : ThriftType::kFalse); }

void ThriftWriter::FieldBinary(int16_t id, std::string_view v) {
  FieldHeader(id, ThriftType::kBinary);
  ElementBinary(v);
}

void ThriftWriter::ElementBinary(std::string_view v) {
  Varint(v.size());
  out_->append(v.data(), v.size());
}

void ThriftWriter::FieldStruct(int16_t id) { FieldHeader(id, ThriftType::kStruct); }

void ThriftWriter::FieldList(int16_t id, ThriftType element_type, uint32_t count) {
  FieldHeader(id, ThriftType::kList);
  if (count < 15) {
    out_->push_back(static_cast<char>((count << 4) | static_cast<int>(element_type)));
  } else {
    out_->push_back(static_cast<char>(0xf0 | static_cast<int>(element_type)));
    Varint(count);
  }
}

}  // namespace capsfusion::parquet
