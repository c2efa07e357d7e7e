// Fuzz target for the GGUF reader: parses arbitrary bytes, walks everything a parsed file
// exposes, and checks that writing it back and reading again gives the same file.
//
// Built with libFuzzer (clang, -DCAPSFUSION_FUZZ=ON) or with fuzz/standalone_main.cc, which
// replays files given on the command line (any compiler).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "gguf/gguf.h"

namespace capsfusion::gguf {
namespace {

//! Fails the run loudly: libFuzzer and the standalone driver both treat abort() as a finding.
[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "gguf_reader_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

uint64_t WalkValue(const Value& v) {
  uint64_t h = static_cast<uint64_t>(v.type()) + v.EncodedSize() + v.DebugString(4).size();
  uint64_t u = 0;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  h += v.AsUint64(&u) ? u : 0;
  h += v.AsInt64(&i) ? static_cast<uint64_t>(i) : 0;
  h += v.AsDouble(&d) ? 1 : 0;
  h += v.AsBool(&b) ? b : 0;
  h += v.str().size();
  if (v.is_array()) {
    for (size_t k = 0; k < v.size() && k < 64; ++k) h += WalkValue(v.Element(k));
    h += v.Element(v.size()).type() == ValueType::kUint8 ? 0 : 1;  // out of range is safe
  }
  return h;
}

uint64_t WalkFile(const GgufFile& f) {
  uint64_t h = f.version() + f.alignment() + f.data_offset();
  for (const std::string& key : f.keys()) {
    const Value* v = f.Find(key);
    if (v == nullptr) Fail("key listed but not found", key);
    h += WalkValue(*v);
    // Every getter on every key: each returns a value or a Status, never crashes.
    h += f.GetUint32(key).ok() + f.GetUint64(key).ok() + f.GetInt32(key).ok() + f.GetInt64(key).ok();
    h += f.GetFloat32(key).ok() + f.GetBool(key).ok() + f.GetString(key).ok();
    h += f.GetStringArray(key).ok() + f.GetFloat32Array(key).ok() + f.GetInt32Array(key).ok();
  }
  for (const TensorInfo& t : f.tensors()) {
    if (f.FindTensor(t.name) != &t) Fail("tensor listed but not found", t.name);
    const uint8_t* end = t.data + t.n_bytes;
    for (const uint8_t* p = t.data; p < end; ++p) h += *p;  // touches every byte: ASan checks bounds
    std::vector<float> row(t.shape[0]);
    const size_t row_bytes = *RowBytes(t.type, static_cast<int64_t>(t.shape[0]));
    for (uint64_t r = 0; r < t.n_elements / t.shape[0] && r < 16; ++r) {
      DequantizeRow(t.type, t.data + r * row_bytes, row.data(), static_cast<int64_t>(row.size()));
    }
  }
  return h;
}

std::string Encoded(const Value& v) {
  std::string s;
  v.AppendEncoded(&s);
  return s;
}

//! Writes a parsed file back with GgufWriter and checks the re-read file matches it.
void CheckRewrite(const GgufFile& f) {
  GgufWriter w;
  w.SetAlignment(static_cast<uint32_t>(f.alignment()));
  for (const std::string& key : f.keys()) {
    if (key != kAlignmentKey) w.Set(key, *f.Find(key));
  }
  for (const TensorInfo& t : f.tensors()) {
    Status s = w.AddTensor(t.name, t.type, t.shape, t.data, t.n_bytes);
    if (!s.ok()) Fail("writer refused a tensor the reader accepted", s.ToString());
  }
  if (!w.status().ok()) Fail("writer refused metadata the reader accepted", w.status().ToString());
  auto again = GgufFile::FromBytes(w.WriteToString());
  if (!again.ok()) Fail("reader refused the writer's output", again.status().ToString());
  const GgufFile& g = **again;
  if (g.alignment() != f.alignment()) Fail("alignment changed", std::to_string(g.alignment()));
  for (const std::string& key : f.keys()) {
    if (key == kAlignmentKey) continue;
    const Value* v = g.Find(key);
    if (v == nullptr || Encoded(*v) != Encoded(*f.Find(key))) Fail("value changed", key);
  }
  if (g.tensors().size() != f.tensors().size()) Fail("tensor count changed", "");
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const TensorInfo& a = f.tensors()[i];
    const TensorInfo& b = g.tensors()[i];
    if (a.name != b.name || a.type != b.type || a.shape != b.shape || a.n_bytes != b.n_bytes ||
        std::string(reinterpret_cast<const char*>(a.data), a.n_bytes) !=
            std::string(reinterpret_cast<const char*>(b.data), b.n_bytes)) {
      Fail("tensor changed", a.name);
    }
  }
}

}  // namespace
}  // namespace capsfusion::gguf

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using capsfusion::gguf::GgufFile;
  auto f = GgufFile::FromBytes(std::string(reinterpret_cast<const char*>(data), size));
  if (!f.ok()) {
    if (f.status().message().empty()) capsfusion::gguf::Fail("error without a message", "");
    return 0;
  }
  volatile uint64_t sink = capsfusion::gguf::WalkFile(**f);
  (void)sink;
  capsfusion::gguf::CheckRewrite(**f);
  return 0;
}
