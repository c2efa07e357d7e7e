// Spec-level byte building for the GGUF tests: every field written by hand, little-endian,
// so tests check the format against docs/gguf.md rather than against our own writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace capsfusion::gguf::testing {

//! Appends little-endian fields to a byte string.
struct Bytes {
  std::string b;

  Bytes& U8(uint8_t v) { return Le(v, 1); }
  Bytes& U16(uint16_t v) { return Le(v, 2); }
  Bytes& U32(uint32_t v) { return Le(v, 4); }
  Bytes& U64(uint64_t v) { return Le(v, 8); }
  Bytes& F32(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return U32(u);
  }
  Bytes& F64(double f) {
    uint64_t u;
    std::memcpy(&u, &f, 8);
    return U64(u);
  }
  //! GGUF string: uint64 length, then the bytes.
  Bytes& Str(const std::string& s) {
    U64(s.size());
    b += s;
    return *this;
  }
  Bytes& Raw(const std::string& s) {
    b += s;
    return *this;
  }
  //! Zero bytes up to a multiple of `a`.
  Bytes& PadTo(size_t a) {
    while (b.size() % a != 0) b.push_back('\0');
    return *this;
  }
  //! Header: magic, version, tensor count, KV count.
  Bytes& Header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    b += "GGUF";
    U32(version);
    U64(n_tensors);
    return U64(n_kv);
  }
  //! A KV with a scalar UINT32 value.
  Bytes& KvU32(const std::string& key, uint32_t v) { return Str(key).U32(4).U32(v); }
  //! A KV with a STRING value.
  Bytes& KvStr(const std::string& key, const std::string& v) { return Str(key).U32(8).Str(v); }
  //! A tensor info.
  Bytes& TensorInfo(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) U64(d);
    return U32(type).U64(offset);
  }

 private:
  Bytes& Le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) b.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
    return *this;
  }
};

}  // namespace capsfusion::gguf::testing
