// Writer -> file -> reader round trips, metadata getters and writer errors.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>

#include "gguf/gguf.h"
#include "test_util.h"

namespace capsfusion::gguf {
namespace {

Value MustArray(ValueType t, std::vector<Value> v) {
  StatusOr<Value> a = Value::Array(t, std::move(v));
  EXPECT_TRUE(a.ok()) << a.status().ToString();
  return a.ok() ? *a : Value();
}

std::vector<std::pair<std::string, Value>> EveryValue() {
  std::vector<std::pair<std::string, Value>> kv = {
      {"t.u8", Value::Uint8(255)},
      {"t.i8", Value::Int8(-128)},
      {"t.u16", Value::Uint16(65535)},
      {"t.i16", Value::Int16(-32768)},
      {"t.u32", Value::Uint32(4294967295u)},
      {"t.i32", Value::Int32(std::numeric_limits<int32_t>::min())},
      {"t.f32", Value::Float32(-0.15625f)},
      {"t.bool", Value::Bool(true)},
      {"t.bool_false", Value::Bool(false)},
      {"t.str", Value::String("caf\xc3\xa9")},
      {"t.str_empty", Value::String("")},
      {"t.str_nul_and_bad_utf8", Value::String(std::string("a\0b\xff", 4))},
      {"t.u64", Value::Uint64(std::numeric_limits<uint64_t>::max())},
      {"t.i64", Value::Int64(std::numeric_limits<int64_t>::min())},
      {"t.f64", Value::Float64(1e300)},
      {"t.f32_nan", Value::Float32(std::numeric_limits<float>::quiet_NaN())},
      {"t.f32_snan", Value::Float32(std::numeric_limits<float>::signaling_NaN())},  // bits kept exactly
      {"t.f64_snan", Value::Float64(std::numeric_limits<double>::signaling_NaN())},
      {"t.arr.u8", MustArray(ValueType::kUint8, {Value::Uint8(0), Value::Uint8(255)})},
      {"t.arr.i8", MustArray(ValueType::kInt8, {Value::Int8(-1), Value::Int8(127)})},
      {"t.arr.u16", MustArray(ValueType::kUint16, {Value::Uint16(1), Value::Uint16(65535)})},
      {"t.arr.i16", MustArray(ValueType::kInt16, {Value::Int16(-2)})},
      {"t.arr.u32", MustArray(ValueType::kUint32, {Value::Uint32(7), Value::Uint32(8), Value::Uint32(9)})},
      {"t.arr.i32", Value::Int32Array({-5, 0, 5})},
      {"t.arr.f32", Value::Float32Array({0.5f, -0.25f})},
      {"t.arr.bool", MustArray(ValueType::kBool, {Value::Bool(true), Value::Bool(false)})},
      {"t.arr.str", Value::StringArray({"<s>", "", "\xe2\x96\x81the"})},
      {"t.arr.u64", MustArray(ValueType::kUint64, {Value::Uint64(1) , Value::Uint64(uint64_t{1} << 40)})},
      {"t.arr.i64", MustArray(ValueType::kInt64, {Value::Int64(-(int64_t{1} << 40))})},
      {"t.arr.f64", MustArray(ValueType::kFloat64, {Value::Float64(0.1), Value::Float64(-3)})},
      {"t.arr.empty", MustArray(ValueType::kUint32, {})},
      {"t.arr.nested",
       MustArray(ValueType::kArray, {Value::Int32Array({1, 2}), Value::StringArray({"x"}),
                                     MustArray(ValueType::kArray, {Value::Float32Array({})})})},
  };
  return kv;
}

//! Same type and same encoding: the strictest equality (NaN payloads included).
void ExpectSameValue(const Value& got, const Value& want, const std::string& key) {
  EXPECT_EQ(got.type(), want.type()) << key;
  std::string a, b;
  got.AppendEncoded(&a);
  want.AppendEncoded(&b);
  EXPECT_EQ(a, b) << key << ": " << got.DebugString() << " vs " << want.DebugString();
}

struct TestTensor {
  std::string name;
  TensorType type;
  std::vector<uint64_t> shape;
  std::string bytes;
};

std::vector<TestTensor> EveryTensorType() {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<TestTensor> out;
  const std::pair<TensorType, std::vector<uint64_t>> specs[] = {
      {TensorType::kF32, {7}},
      {TensorType::kF16, {5, 3}},
      {TensorType::kQ4_0, {64, 2, 3}},
      {TensorType::kQ8_0, {32, 3, 2, 2}},
  };
  for (const auto& [type, shape] : specs) {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    std::vector<float> x(n);
    for (float& v : x) v = dist(rng);
    TestTensor t{std::string("t.") + TensorTypeName(type), type, shape, ""};
    t.bytes.resize(*RowBytes(type, static_cast<int64_t>(n)));
    QuantizeRow(type, x.data(), t.bytes.data(), static_cast<int64_t>(n));
    out.push_back(std::move(t));
  }
  return out;
}

void CheckRoundTrip(uint32_t alignment, bool via_file) {
  GgufWriter w;
  if (alignment != 32) w.SetAlignment(alignment);
  const auto kvs = EveryValue();
  for (const auto& [k, v] : kvs) w.Set(k, v);
  const auto tensors = EveryTensorType();
  for (const TestTensor& t : tensors) {
    ASSERT_TRUE(w.AddTensor(t.name, t.type, t.shape, t.bytes.data(), t.bytes.size()).ok()) << t.name;
  }
  ASSERT_TRUE(w.status().ok()) << w.status().ToString();

  capsfusion::testing::TempDir dir;
  StatusOr<std::unique_ptr<GgufFile>> file = Status::Internal("unset");
  if (via_file) {
    const std::string path = dir.File("model.gguf");
    ASSERT_TRUE(w.WriteFile(path).ok());
    EXPECT_EQ(capsfusion::testing::ReadFile(path), w.WriteToString());
    file = GgufFile::Open(path);
  } else {
    file = GgufFile::FromBytes(w.WriteToString());
  }
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  const GgufFile& g = **file;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.alignment(), alignment);
  EXPECT_EQ(g.Has(kAlignmentKey), alignment != 32);
  ASSERT_EQ(g.keys().size(), kvs.size() + (alignment != 32 ? 1 : 0));
  for (size_t i = 0; i < kvs.size(); ++i) {
    EXPECT_EQ(g.keys()[i], kvs[i].first);
    const Value* v = g.Find(kvs[i].first);
    ASSERT_NE(v, nullptr) << kvs[i].first;
    ExpectSameValue(*v, kvs[i].second, kvs[i].first);
  }
  ASSERT_EQ(g.tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& t = g.tensors()[i];
    EXPECT_EQ(t.name, tensors[i].name);
    EXPECT_EQ(t.type, tensors[i].type);
    EXPECT_EQ(t.shape, tensors[i].shape);
    EXPECT_EQ(t.n_bytes, tensors[i].bytes.size());
    EXPECT_EQ(t.offset % alignment, 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % std::min<uint32_t>(alignment, 4096), 0u) << t.name;
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(t.data), t.n_bytes), tensors[i].bytes) << t.name;
  }
}

TEST(GgufRoundTripTest, EveryValueAndTensorTypeInMemory) { CheckRoundTrip(32, false); }
TEST(GgufRoundTripTest, EveryValueAndTensorTypeThroughAFile) { CheckRoundTrip(32, true); }
TEST(GgufRoundTripTest, Alignment64And4096) {
  CheckRoundTrip(64, true);
  CheckRoundTrip(4096, true);
  CheckRoundTrip(1, false);
  CheckRoundTrip(8192, false);
}

TEST(GgufRoundTripTest, EmptyWriterGivesAValidFile) {
  GgufWriter w;
  auto f = GgufFile::FromBytes(w.WriteToString());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE((*f)->keys().empty());
  EXPECT_TRUE((*f)->tensors().empty());
}

TEST(GgufGettersTest, ConversionsAndErrors) {
  GgufWriter w;
  w.SetUint8("small", 7);
  w.SetInt32("neg", -3);
  w.SetUint64("big", uint64_t{1} << 40);
  w.SetFloat64("f64", 0.5);
  w.SetString("s", "x");
  w.SetInt32Array("ints", {1, -2});
  w.Set("u64s", *Value::PackedArray(ValueType::kUint64, std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8)));
  w.SetStringArray("strs", {"a", "b"});
  w.SetUint32("small", 9);  // replaces in place, keeps the position
  auto f = GgufFile::FromBytes(w.WriteToString());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.keys()[0], "small");
  EXPECT_EQ(*g.GetUint32("small"), 9u);
  EXPECT_EQ(*g.GetInt32("small"), 9);
  EXPECT_EQ(*g.GetInt32("neg"), -3);
  EXPECT_EQ(g.GetUint32("neg").status().code(), Status::Code::kOutOfRange);
  EXPECT_EQ(g.GetUint32("big").status().code(), Status::Code::kOutOfRange);
  EXPECT_EQ(*g.GetUint64("big"), uint64_t{1} << 40);
  EXPECT_EQ(*g.GetFloat32("f64"), 0.5f);
  EXPECT_EQ(g.GetFloat32("small").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g.GetString("small").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g.GetBool("s").status().code(), Status::Code::kInvalidArgument);
  const Status missing = g.GetString("nope").status();
  EXPECT_EQ(missing.code(), Status::Code::kNotFound);
  EXPECT_NE(missing.message().find("'nope'"), std::string::npos);
  EXPECT_EQ(*g.GetInt32Array("ints"), (std::vector<int32_t>{1, -2}));
  EXPECT_EQ(g.GetInt32Array("u64s").status().code(), Status::Code::kOutOfRange);
  EXPECT_EQ(g.GetInt32Array("strs").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g.GetFloat32Array("ints").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(*g.GetStringArray("strs"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(g.GetStringArray("s").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(g.Find("ints")->DebugString(), "[INT32 x2: 1, -2]");
  EXPECT_EQ(g.Find("s")->DebugString(), "\"x\"");
}

TEST(GgufValueTest, BuildersRejectMismatches) {
  EXPECT_FALSE(Value::Array(ValueType::kUint8, {Value::Int8(1)}).ok());
  EXPECT_FALSE(Value::PackedArray(ValueType::kString, "ab").ok());
  EXPECT_FALSE(Value::PackedArray(ValueType::kUint32, "abc").ok());
  EXPECT_FALSE(Value::PackedArray(ValueType::kBool, "\x02").ok());
  Value v = Value::Uint8(1);
  for (int i = 0; i < kMaxArrayDepth; ++i) {
    ValueType t = v.type();
    v = *Value::Array(t, {v});
  }
  EXPECT_EQ(v.ArrayDepth(), kMaxArrayDepth);
  EXPECT_FALSE(Value::Array(ValueType::kArray, {v}).ok());
  EXPECT_EQ(Value::Int32Array({4}).Element(7).type(), ValueType::kUint8);  // out of range: default
}

TEST(GgufWriterTest, RejectsBadTensors) {
  GgufWriter w;
  std::vector<uint8_t> buf(1 << 12);
  EXPECT_TRUE(w.AddTensor("ok", TensorType::kF32, {2}, buf.data(), 8).ok());
  EXPECT_FALSE(w.AddTensor("ok", TensorType::kF32, {2}, buf.data(), 8).ok());           // duplicate
  EXPECT_FALSE(w.AddTensor("", TensorType::kF32, {2}, buf.data(), 8).ok());             // empty name
  EXPECT_FALSE(w.AddTensor(std::string(64, 'n'), TensorType::kF32, {2}, buf.data(), 8).ok());
  EXPECT_TRUE(w.AddTensor(std::string(63, 'n'), TensorType::kF32, {2}, buf.data(), 8).ok());
  EXPECT_FALSE(w.AddTensor("bad\xff", TensorType::kF32, {2}, buf.data(), 8).ok());
  EXPECT_FALSE(w.AddTensor(std::string("a\0b", 3), TensorType::kF32, {2}, buf.data(), 8).ok());
  EXPECT_FALSE(w.AddTensor("t", static_cast<TensorType>(12), {256}, buf.data(), 144).ok());
  EXPECT_FALSE(w.AddTensor("t", TensorType::kF32, {}, buf.data(), 4).ok());
  EXPECT_FALSE(w.AddTensor("t", TensorType::kF32, {1, 1, 1, 1, 1}, buf.data(), 4).ok());
  EXPECT_FALSE(w.AddTensor("t", TensorType::kF32, {2, 0}, buf.data(), 0).ok());
  EXPECT_FALSE(w.AddTensor("t", TensorType::kF32, {uint64_t{1} << 40, uint64_t{1} << 40}, buf.data(), 0).ok());
  EXPECT_FALSE(w.AddTensor("t", TensorType::kQ8_0, {33}, buf.data(), 34).ok());       // not whole blocks
  EXPECT_FALSE(w.AddTensor("t", TensorType::kQ8_0, {32}, buf.data(), 33).ok());       // wrong byte count
  EXPECT_FALSE(w.AddTensor("t", TensorType::kF32, {2}, nullptr, 8).ok());
  const Status s = w.AddTensor("t", TensorType::kQ4_0, {32, 2}, buf.data(), 18);
  EXPECT_NE(s.message().find("'t'"), std::string::npos) << s.ToString();
  EXPECT_EQ(w.tensor_count(), 2u);
  EXPECT_TRUE(w.status().ok());
}

TEST(GgufWriterTest, BadKeysAndAlignmentAreReportedLater) {
  {
    GgufWriter w;
    w.SetAlignment(48);
    EXPECT_EQ(w.status().code(), Status::Code::kInvalidArgument);
    GgufWriter big;
    big.SetAlignment(1u << 25);
    EXPECT_FALSE(big.status().ok());
    EXPECT_EQ(w.WriteToString(), "");
    capsfusion::testing::TempDir dir;
    EXPECT_FALSE(w.WriteFile(dir.File("x.gguf")).ok());
    EXPECT_FALSE(std::filesystem::exists(dir.File("x.gguf")));
  }
  {
    GgufWriter w;
    w.SetString("", "v");
    EXPECT_FALSE(w.status().ok());
  }
  {
    GgufWriter w;
    w.SetString("k\xc0\xaf", "v");  // overlong encoding
    EXPECT_FALSE(w.status().ok());
  }
  {
    GgufWriter w;
    w.SetUint64(kAlignmentKey, 64);
    EXPECT_FALSE(w.status().ok());
  }
  {
    GgufWriter w;
    w.SetUint32(kAlignmentKey, 64);  // the same as SetAlignment(64)
    EXPECT_TRUE(w.status().ok());
    EXPECT_EQ(w.alignment(), 64u);
    EXPECT_EQ(w.kv_count(), 0u);
  }
}

TEST(GgufWriterTest, WriteFileIsAtomicAndReportsIoErrors) {
  capsfusion::testing::TempDir dir;
  const std::string path = dir.File("m.gguf");
  capsfusion::testing::WriteFile(path, "old contents");
  GgufWriter w;
  w.SetString("general.name", "x");
  ASSERT_TRUE(w.WriteFile(path).ok());
  EXPECT_EQ(capsfusion::testing::ReadFile(path), w.WriteToString());
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);  // no temporary file left behind
  const Status s = w.WriteFile(dir.File("no/such/dir/m.gguf"));
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("no/such/dir"), std::string::npos);
}

TEST(GgufOpenTest, MissingAndEmptyFiles) {
  capsfusion::testing::TempDir dir;
  auto missing = GgufFile::Open(dir.File("absent.gguf"));
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
  capsfusion::testing::WriteFile(dir.File("empty.gguf"), "");
  auto empty = GgufFile::Open(dir.File("empty.gguf"));
  EXPECT_EQ(empty.status().code(), Status::Code::kCorruption);
  EXPECT_NE(empty.status().message().find("empty.gguf"), std::string::npos) << empty.status().ToString();
}

}  // namespace
}  // namespace capsfusion::gguf
