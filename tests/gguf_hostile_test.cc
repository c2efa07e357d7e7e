// Malformed and hostile GGUF files: each must give a Status that names the problem, never a
// crash, an abort or a giant allocation.
#include <gtest/gtest.h>

#include <random>

#include "gguf/gguf.h"
#include "gguf_test_bytes.h"

namespace capsfusion::gguf {
namespace {

using testing::Bytes;

constexpr uint64_t kHuge = uint64_t{1} << 60;
//! Trailing bytes so that a short hostile file passes the header's count check.
const std::string kTail(32, '\x7f');

//! Parses `bytes`, expects failure with `code` and every `needle` in the message.
void ExpectError(const std::string& bytes, Status::Code code, std::initializer_list<const char*> needles) {
  auto f = GgufFile::FromBytes(bytes);
  ASSERT_FALSE(f.ok()) << "parsed a malformed file";
  EXPECT_EQ(f.status().code(), code) << f.status().ToString();
  for (const char* n : needles) {
    EXPECT_NE(f.status().message().find(n), std::string::npos) << "'" << n << "' not in: " << f.status().ToString();
  }
}

// A valid file with one KV and one F32 tensor of 2 elements that ends exactly at the end of the
// tensor data, so that every strict prefix is invalid.
std::string SmallValidFile() {
  Bytes f;
  f.Header(1, 2);
  f.KvStr("general.architecture", "llama");
  f.Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(2).Str("a").Str("bc");
  f.TensorInfo("w", {2}, 0, 0);
  f.PadTo(32);
  f.F32(1.0f).F32(2.0f);
  return f.b;
}

TEST(GgufHostileTest, SmallFileIsValid) { ASSERT_TRUE(GgufFile::FromBytes(SmallValidFile()).ok()); }

TEST(GgufHostileTest, TruncationAtEveryByte) {
  const std::string full = SmallValidFile();
  for (size_t n = 0; n < full.size(); ++n) {
    auto f = GgufFile::FromBytes(full.substr(0, n));
    ASSERT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(f.status().code(), Status::Code::kCorruption) << n << ": " << f.status().ToString();
  }
}

TEST(GgufHostileTest, TruncationOfWriterOutput) {
  GgufWriter w;
  w.SetString("general.name", "x");
  w.SetFloat32Array("scores", {1, 2, 3});
  std::string q8(34 * 2, '\1');
  ASSERT_TRUE(w.AddTensor("a", TensorType::kQ8_0, {64}, q8.data(), q8.size()).ok());
  ASSERT_TRUE(w.AddTensor("b", TensorType::kF16, {3}, "\0\0\0\0\0\0", 6).ok());
  const std::string full = w.WriteToString();
  auto ok = GgufFile::FromBytes(full);
  ASSERT_TRUE(ok.ok());
  const TensorInfo* b = (*ok)->FindTensor("b");
  const size_t end = (*ok)->data_offset() + b->offset + b->n_bytes;
  for (size_t n = 0; n < end; ++n) ASSERT_FALSE(GgufFile::FromBytes(full.substr(0, n)).ok()) << n;
  EXPECT_TRUE(GgufFile::FromBytes(full.substr(0, end)).ok());  // trailing padding is optional
}

TEST(GgufHostileTest, BadMagicAndVersions) {
  std::string f = SmallValidFile();
  f[0] = 'X';
  ExpectError(f, Status::Code::kCorruption, {"not a GGUF file", "'XGUF'"});
  ExpectError("GGU", Status::Code::kCorruption, {"too short"});
  ExpectError(Bytes().Header(0, 0, 1).b, Status::Code::kNotSupported, {"version 1"});
  ExpectError(Bytes().Header(0, 0, 4).b, Status::Code::kNotSupported, {"version 4"});
  ExpectError(Bytes().Header(0, 0, 0x03000000).b, Status::Code::kNotSupported, {"big-endian"});
}

TEST(GgufHostileTest, AbsurdCounts) {
  ExpectError(Bytes().Header(0, kHuge).b, Status::Code::kCorruption, {"metadata KVs", "1152921504606846976"});
  ExpectError(Bytes().Header(kHuge, 0).b, Status::Code::kCorruption, {"tensors"});
  ExpectError(Bytes().Header(~uint64_t{0}, ~uint64_t{0}).b, Status::Code::kCorruption, {});
  // A count that fits in memory but not in the bytes that follow.
  ExpectError(Bytes().Header(0, 3).KvU32("a", 1).b, Status::Code::kCorruption, {"3 metadata KVs"});
  ExpectError(Bytes().Header(0, kMaxMetadataKvs + 1).Raw(std::string(64, 'x')).b, Status::Code::kCorruption, {});
}

TEST(GgufHostileTest, AbsurdStringAndArrayLengths) {
  ExpectError(Bytes().Header(0, 1).U64(uint64_t{1} << 63).Raw(kTail).b, Status::Code::kCorruption,
              {"metadata KV #0", "9223372036854775808"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(8).U64(~uint64_t{0}).b, Status::Code::kCorruption,
              {"'k'", "18446744073709551615"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(0).U64(kHuge).b, Status::Code::kCorruption,
              {"'k'", "UINT8 elements"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(8).U64(kHuge).b, Status::Code::kCorruption,
              {"'k'", "STRING elements"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(9).U64(kHuge).b, Status::Code::kCorruption,
              {"'k'", "ARRAY elements"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(12).U64(uint64_t{1} << 61).b, Status::Code::kCorruption,
              {"FLOAT64"});
  // Strings inside an array: the second one claims more than is left.
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(8).U64(2).Str("a").U64(1000).Raw("xyz").b,
              Status::Code::kCorruption, {"'k'", "element 1", "1000"});
}

TEST(GgufHostileTest, NestedArraysAreBounded) {
  Bytes f;
  f.Header(0, 1).Str("deep").U32(9);
  for (int i = 0; i < 20; ++i) f.U32(9).U64(1);
  f.U32(0).U64(0);
  ExpectError(f.b, Status::Code::kCorruption, {"'deep'", "nested"});
  // Exactly kMaxArrayDepth levels are fine.
  Bytes ok;
  ok.Header(0, 1).Str("deep").U32(9);
  for (int i = 0; i < kMaxArrayDepth - 1; ++i) ok.U32(9).U64(1);
  ok.U32(4).U64(1).U32(42);
  auto g = GgufFile::FromBytes(ok.b);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ((*g)->Find("deep")->ArrayDepth(), kMaxArrayDepth);
}

TEST(GgufHostileTest, UnknownValueTypes) {
  ExpectError(Bytes().Header(0, 1).Str("k").U32(13).U32(0).Raw(kTail).b, Status::Code::kCorruption,
              {"'k'", "unknown value type 13"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(0xFFFFFFFF).Raw(kTail).b, Status::Code::kCorruption, {"'k'"});
  ExpectError(Bytes().Header(0, 1).Str("k").U32(9).U32(77).U64(1).U32(0).b, Status::Code::kCorruption,
              {"'k'", "unknown element type 77"});
}

TEST(GgufHostileTest, BoolsMustBeZeroOrOne) {
  ExpectError(Bytes().Header(0, 1).Str("b").U32(7).U8(2).b, Status::Code::kCorruption, {"'b'", "BOOL value 2"});
  ExpectError(Bytes().Header(0, 1).Str("b").U32(9).U32(7).U64(3).U8(0).U8(1).U8(255).b, Status::Code::kCorruption,
              {"'b'", "element 2", "255"});
}

TEST(GgufHostileTest, BadKeys) {
  ExpectError(Bytes().Header(0, 1).Str("").U32(0).U8(0).Raw(kTail).b, Status::Code::kCorruption, {"KV #0", "empty key"});
  ExpectError(Bytes().Header(0, 1).Str("a\xff").U32(0).U8(0).b, Status::Code::kCorruption,
              {"'a\\xff'", "UTF-8"});
  ExpectError(Bytes().Header(0, 1).Str("\xed\xa0\x80").U32(0).U8(0).b, Status::Code::kCorruption,
              {"UTF-8"});  // a surrogate
  ExpectError(Bytes().Header(0, 1).Str(std::string("a\0b", 3)).U32(0).U8(0).Raw(kTail).b, Status::Code::kCorruption,
              {"'a\\x00b'", "NUL"});
  ExpectError(Bytes().Header(0, 2).KvU32("dup", 1).KvU32("dup", 2).b, Status::Code::kCorruption,
              {"'dup'", "KV #1", "duplicate"});
  ExpectError(Bytes().Header(0, 1).Str(std::string(kMaxKeyBytes + 1, 'k')).U32(0).U8(0).b,
              Status::Code::kCorruption, {"65536 bytes"});
}

TEST(GgufHostileTest, StringValuesNeedNotBeUtf8) {
  auto f = GgufFile::FromBytes(Bytes().Header(0, 1).KvStr("k", "\xff\xfe").b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*(*f)->GetString("k"), "\xff\xfe");
}

TEST(GgufHostileTest, BadAlignment) {
  ExpectError(Bytes().Header(0, 1).Str("general.alignment").U32(10).U64(64).b, Status::Code::kCorruption,
              {"general.alignment", "UINT32", "UINT64"});
  ExpectError(Bytes().Header(0, 1).KvU32("general.alignment", 0).b, Status::Code::kCorruption, {"power of two"});
  ExpectError(Bytes().Header(0, 1).KvU32("general.alignment", 48).b, Status::Code::kCorruption, {"48"});
  ExpectError(Bytes().Header(0, 1).KvU32("general.alignment", 1u << 31).b, Status::Code::kCorruption,
              {"2147483648", "up to 16777216"});
}

//! A file with one tensor info made of the given pieces and `data_bytes` of data.
std::string OneTensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset,
                      size_t data_bytes = 64) {
  Bytes f;
  f.Header(1, 0).TensorInfo(name, dims, type, offset).PadTo(32).Raw(std::string(data_bytes, '\0'));
  return f.b;
}

TEST(GgufHostileTest, BadTensorShapes) {
  ExpectError(OneTensor("t", {1, 1, 1, 1, 1}, 0, 0), Status::Code::kCorruption, {"'t'", "n_dims 5"});
  ExpectError(OneTensor("t", {}, 0, 0), Status::Code::kCorruption, {"'t'", "n_dims 0"});
  ExpectError(OneTensor("t", {4, 0}, 0, 0), Status::Code::kCorruption, {"'t'", "dimension 1", "is 0"});
  ExpectError(OneTensor("t", {uint64_t{1} << 32, uint64_t{1} << 32}, 0, 0), Status::Code::kCorruption,
              {"'t'", "overflow"});
  ExpectError(OneTensor("t", {~uint64_t{0}}, 0, 0), Status::Code::kCorruption, {"'t'", "overflow"});
  // 2^62 F32 elements: the element count fits int64, the byte size does not fit uint64.
  ExpectError(OneTensor("t", {uint64_t{1} << 62}, 0, 0), Status::Code::kCorruption, {"'t'", "overflows uint64"});
  // 2^61 F32 elements: the byte size fits uint64, not the file.
  ExpectError(OneTensor("t", {uint64_t{1} << 61}, 0, 0), Status::Code::kCorruption, {"'t'", "past the end"});
  ExpectError(OneTensor("t", {33}, 8, 0), Status::Code::kCorruption, {"'t'", "not a multiple", "Q8_0"});
}

TEST(GgufHostileTest, BadTensorTypes) {
  ExpectError(OneTensor("blk.0.ffn", {256}, 12, 0), Status::Code::kNotSupported, {"'blk.0.ffn'", "Q4_K"});
  ExpectError(OneTensor("t", {4}, 99, 0), Status::Code::kCorruption, {"'t'", "unknown ggml type id 99"});
  ExpectError(OneTensor("t", {4}, 0xFFFFFFFF, 0), Status::Code::kCorruption, {"'t'", "4294967295"});
}

TEST(GgufHostileTest, BadTensorNames) {
  ExpectError(OneTensor("", {4}, 0, 0), Status::Code::kCorruption, {"tensor info #0", "empty"});
  ExpectError(OneTensor("\xc3", {4}, 0, 0), Status::Code::kCorruption, {"tensor info #0", "UTF-8"});
  ExpectError(OneTensor(std::string(64, 'n'), {4}, 0, 0), Status::Code::kCorruption, {"64 bytes"});
  ExpectError(OneTensor(std::string("w\0x", 3), {4}, 0, 0), Status::Code::kCorruption, {"NUL"});
  Bytes f;
  f.Header(2, 0).TensorInfo("w", {4}, 0, 0).TensorInfo("w", {4}, 0, 32).PadTo(32).Raw(std::string(64, '\0'));
  ExpectError(f.b, Status::Code::kCorruption, {"'w'", "info #1", "duplicate", "#0"});
}

TEST(GgufHostileTest, BadTensorOffsets) {
  ExpectError(OneTensor("t", {4}, 0, 4), Status::Code::kCorruption, {"'t'", "offset 4", "alignment 32"});
  ExpectError(OneTensor("t", {4}, 0, 1024), Status::Code::kCorruption, {"'t'", "past the end"});
  ExpectError(OneTensor("t", {4}, 0, ~uint64_t{0} & ~uint64_t{31}), Status::Code::kCorruption, {"'t'", "past the end"});
  ExpectError(OneTensor("t", {17}, 0, 0), Status::Code::kCorruption, {"'t'", "past the end"});  // 68 > 64 bytes
  Bytes f;
  f.Header(2, 0).TensorInfo("a", {16}, 0, 0).TensorInfo("b", {4}, 0, 32).PadTo(32).Raw(std::string(128, '\0'));
  ExpectError(f.b, Status::Code::kCorruption, {"'a'", "overlaps", "'b'"});
  Bytes same;
  same.Header(2, 0).TensorInfo("a", {4}, 0, 0).TensorInfo("b", {4}, 0, 0).PadTo(32).Raw(std::string(64, '\0'));
  ExpectError(same.b, Status::Code::kCorruption, {"overlaps"});
}

TEST(GgufHostileTest, DataSectionPastTheEnd) {
  Bytes f;
  f.Header(1, 0).TensorInfo("t", {1}, 0, 0);  // no padding, no data
  ExpectError(f.b, Status::Code::kCorruption, {"data section", "alignment 32"});
}

// Random byte flips and splices of valid files must never crash (a cheap in-tree fuzz pass;
// fuzz/gguf_reader_fuzz.cc is the real one).
TEST(GgufHostileTest, RandomMutationsNeverCrash) {
  GgufWriter w;
  w.SetString("general.architecture", "llama");
  w.SetStringArray("tokenizer.ggml.tokens", {"a", "b", "c"});
  w.Set("nested", *Value::Array(ValueType::kArray, {Value::Int32Array({1}), Value::Int32Array({})}));
  std::string blocks(18 * 2, '\x11');
  ASSERT_TRUE(w.AddTensor("q", TensorType::kQ4_0, {32, 2}, blocks.data(), blocks.size()).ok());
  const std::string seeds[] = {w.WriteToString(), SmallValidFile()};
  std::mt19937 rng(1234);
  int parsed = 0;
  for (const std::string& seed : seeds) {
    for (int iter = 0; iter < 20000; ++iter) {
      std::string m = seed;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) {
        const size_t pos = rng() % m.size();
        switch (rng() % 4) {
          case 0: m[pos] = static_cast<char>(rng()); break;
          case 1: m[pos] = static_cast<char>(0xFF); break;
          case 2: m[pos] ^= static_cast<char>(1u << (rng() % 8)); break;
          case 3: m.resize(pos); break;
        }
        if (m.empty()) break;
      }
      auto f = GgufFile::FromBytes(m);
      if (f.ok()) {
        ++parsed;
        for (const TensorInfo& t : (*f)->tensors()) {
          volatile uint8_t sink = 0;
          for (uint64_t i = 0; i < t.n_bytes; ++i) sink = sink + t.data[i];
        }
      } else {
        EXPECT_FALSE(f.status().message().empty());
      }
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace capsfusion::gguf
