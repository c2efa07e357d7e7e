// Compressed input (gzip, zstd; detected by magic bytes) and standard input.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

TEST(IoCompressionTest, GzipAndZstdByMagicNotByName) {
  TempDir dir;
  const std::string rows = testing::CaptionRows(500);
  const std::string array = "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"}, {\"laion_2b\": \"c\", \"laion_coco\": \"d\"}]";
  const std::string csv = "laion_2b,laion_coco\n\"a,1\",b\nc,d\n";
  struct Case {
    std::string name, bytes;
    size_t records;
  };
  const Case cases[] = {
      {"a.jsonl.gz", testing::Gzip(rows), 500},
      {"a.jsonl.zst", testing::Zstd(rows), 500},
      {"a.json.gz", testing::Gzip(array), 2},
      {"a.csv.zst", testing::Zstd(csv), 2},
      {"noext_gzip", testing::Gzip(rows), 500},       // content sniffed after decompression
      {"noext_zstd", testing::Zstd(array), 2},
      {"plain.jsonl.gz", rows, 500},                   // name says gzip, bytes say plain
      {"zst_named.gz", testing::Zstd(rows), 500},      // name says gzip, bytes say zstd
  };
  for (const Case& c : cases) {
    WriteFile(dir.File(c.name), c.bytes);
    auto r = ReadAll(dir.File(c.name));
    ASSERT_TRUE(r.open_status.ok()) << c.name << ": " << r.open_status.ToString();
    EXPECT_TRUE(r.status.ok()) << c.name << ": " << r.status.ToString();
    EXPECT_EQ(r.records.size(), c.records) << c.name;
    EXPECT_EQ(r.rejects.size(), 0u) << c.name;
  }
  auto r = ReadAll(dir.File("a.jsonl.zst"));
  EXPECT_EQ(r.records[499].raw, "raw caption 499");
  EXPECT_EQ(r.bytes_read, rows.size());  // decompressed bytes
}

TEST(IoCompressionTest, ConcatenatedMembersAndFrames) {
  TempDir dir;
  std::string a = testing::CaptionRows(3), b = "{\"laion_2b\": \"x\", \"laion_coco\": \"y\"}\n";
  WriteFile(dir.File("multi.jsonl.gz"), testing::Gzip(a) + testing::Gzip(b));
  WriteFile(dir.File("multi.jsonl.zst"), testing::Zstd(a) + testing::Zstd(b));
  for (const char* name : {"multi.jsonl.gz", "multi.jsonl.zst"}) {
    auto r = ReadAll(dir.File(name));
    EXPECT_TRUE(r.status.ok()) << name << ": " << r.status.ToString();
    ASSERT_EQ(r.records.size(), 4u) << name;
    EXPECT_EQ(r.records[3].raw, "x");
  }
}

// Rows that compress poorly, so that damage lands well after the first rows.
std::string NoisyRows(int n) {
  std::string s;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < n; ++i) {
    std::string noise;
    for (int k = 0; k < 40; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      noise.push_back(static_cast<char>('a' + x % 26));
    }
    s += "{\"laion_2b\": \"" + noise + "\", \"laion_coco\": \"row " + std::to_string(i) + "\"}\n";
  }
  return s;
}

TEST(IoCompressionTest, CorruptStreamIsFatalWithFileAndOffsetAndKeepsEarlierRows) {
  TempDir dir;
  const std::string rows = NoisyRows(40000);  // ~3 MB, several read chunks
  for (const char* kind : {"gz", "zst"}) {
    std::string packed = std::string(kind) == "gz" ? testing::Gzip(rows) : testing::Zstd(rows);
    size_t at = packed.size() * 2 / 3;
    for (size_t i = at; i < at + 64; ++i) packed[i] = static_cast<char>(packed[i] ^ 0x5A);
    std::string path = dir.File(std::string("bad.jsonl.") + kind);
    WriteFile(path, packed);
    auto r = ReadAll(path);
    ASSERT_FALSE(r.status.ok()) << kind;
    EXPECT_EQ(r.status.code(), Status::Code::kCorruption) << r.status.ToString();
    EXPECT_NE(r.status.message().find(path), std::string::npos) << r.status.message();
    EXPECT_NE(r.status.message().find("compressed byte"), std::string::npos) << r.status.message();
    EXPECT_GT(r.records.size(), 10000u) << kind;
    EXPECT_LT(r.records.size(), 40000u) << kind;
    for (size_t i = 0; i < r.records.size(); i += 4999) EXPECT_EQ(r.records[i].synthetic, "row " + std::to_string(i));
  }
}

TEST(IoCompressionTest, TruncatedStreamIsFatal) {
  TempDir dir;
  const std::string rows = NoisyRows(5000);
  for (const char* kind : {"gz", "zst"}) {
    std::string packed = std::string(kind) == "gz" ? testing::Gzip(rows) : testing::Zstd(rows);
    packed.resize(packed.size() - 100);
    std::string path = dir.File(std::string("cut.jsonl.") + kind);
    WriteFile(path, packed);
    auto r = ReadAll(path);
    ASSERT_FALSE(r.status.ok()) << kind;
    EXPECT_NE(r.status.message().find("truncated"), std::string::npos) << r.status.message();
    EXPECT_GT(r.records.size(), 4000u);
    EXPECT_EQ(r.rejects.size(), 0u);  // the partial last line is not a reject
  }
  // Trailing garbage after a complete gzip member.
  WriteFile(dir.File("tail.jsonl.gz"), testing::Gzip(testing::CaptionRows(2)) + "garbage");
  auto r = ReadAll(dir.File("tail.jsonl.gz"));
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_FALSE(r.status.ok());
}

TEST(IoCompressionTest, RandomDamageToCompressedStreamsNeverCrashes) {
  TempDir dir;
  const std::string rows = NoisyRows(300);
  const std::string packed[] = {testing::Gzip(rows), testing::Zstd(rows)};
  uint64_t x = 7;
  auto next = [&x] {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x >> 33;
  };
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = packed[trial % 2];
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = 4 + next() % (bytes.size() - 4);  // keep the magic
      if (next() % 5 == 0) {
        bytes.resize(at);
      } else {
        bytes[at] = static_cast<char>(next());
      }
    }
    std::string path = dir.File("damaged" + std::to_string(trial));
    WriteFile(path, bytes);
    auto r = ReadAll(path);
    ASSERT_TRUE(r.open_status.ok());
    EXPECT_LE(r.records.size(), 300u);
    if (!r.status.ok()) {
      EXPECT_NE(r.status.message().find(path), std::string::npos) << r.status.message();
    }
  }
}

TEST(IoCompressionTest, DashReadsStandardInput) {
  TempDir dir;
  WriteFile(dir.File("in.bin"), testing::Zstd(testing::CaptionRows(7)));
  int saved = dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  int fd = open(dir.File("in.bin").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  dup2(fd, STDIN_FILENO);
  close(fd);
  auto r = ReadAll("-");
  dup2(saved, STDIN_FILENO);
  close(saved);
  EXPECT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 7u);
  EXPECT_EQ(r.records[6].origin, "<stdin>:7");
}

}  // namespace
}  // namespace capsfusion
