// JSONL reading: records, field pass-through, mapping, ids, origins.
#include <gtest/gtest.h>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

TEST(IoJsonlTest, ReadsRowsWithOriginsAndIndexes) {
  TempDir dir;
  std::string path = dir.File("a.jsonl");
  WriteFile(path,
            "{\"laion_2b\": \"  Nike  Air\\tMax &amp; 90 \", \"laion_coco\": \"a white\\nsneaker \"}\n"
            "\n"
            "   \r\n"
            "{\"laion_2b\": \"b\", \"laion_coco\": \"c\"}\r\n"
            "{\"laion_2b\": \"d\", \"laion_coco\": \"e\"}");  // no final newline
  auto r = ReadAll(path);
  ASSERT_TRUE(r.open_status.ok()) << r.open_status.ToString();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.rejects.size(), 0u);
  EXPECT_EQ(r.records[0].raw, "Nike Air Max & 90");
  EXPECT_EQ(r.records[0].synthetic, "a white sneaker");
  EXPECT_EQ(r.records[0].origin, path + ":1");
  EXPECT_EQ(r.records[1].origin, path + ":4");
  EXPECT_EQ(r.records[2].origin, path + ":5");
  EXPECT_EQ(r.records[0].index, 0u);
  EXPECT_EQ(r.records[2].index, 2u);
  // The input fields are kept untouched.
  EXPECT_EQ(r.records[0].fields[0].json, "\"  Nike  Air\\tMax &amp; 90 \"");
  EXPECT_EQ(r.bytes_read, testing::ReadFile(path).size());
}

TEST(IoJsonlTest, NonStringFieldsPassThroughByteIdentical) {
  TempDir dir;
  const std::string line =
      "{\"laion_2b\":\"x\",\"laion_coco\":\"y\",\"n\": 1.50e3, \"tags\": [1, \"a\"], \"ok\": true, "
      "\"nil\": null, \"obj\": {\"k\" : [ ]}, \"esc\": \"\\u00e9\\/\\\"\", \"neg\": -0}";
  WriteFile(dir.File("in.jsonl"), line + "\n");
  auto r = ReadAll(dir.File("in.jsonl"));
  ASSERT_EQ(r.records.size(), 1u);
  const Record& rec = r.records[0];
  ASSERT_EQ(rec.fields.size(), 9u);
  EXPECT_EQ(rec.Find("n")->json, "1.50e3");
  EXPECT_EQ(rec.Find("tags")->json, "[1, \"a\"]");
  EXPECT_EQ(rec.Find("ok")->json, "true");
  EXPECT_EQ(rec.Find("nil")->json, "null");
  EXPECT_EQ(rec.Find("obj")->json, "{\"k\" : [ ]}");
  EXPECT_EQ(rec.Find("esc")->json, "\"\\u00e9\\/\\\"\"");
  EXPECT_EQ(rec.Find("neg")->json, "-0");
  auto w = RecordWriter::Open(dir.File("out.jsonl"), WriterOptions());
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(rec).ok());
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(testing::ReadFile(dir.File("out.jsonl")),
            "{\"laion_2b\":\"x\",\"laion_coco\":\"y\",\"n\":1.50e3,\"tags\":[1, \"a\"],\"ok\":true,"
            "\"nil\":null,\"obj\":{\"k\" : [ ]},\"esc\":\"\\u00e9\\/\\\"\",\"neg\":-0}\n");
}

TEST(IoJsonlTest, StableIdsAreIdenticalAcrossReadsAndFormats) {
  TempDir dir;
  WriteFile(dir.File("a.jsonl"),
            "{\"laion_2b\": \"caf\\u00e9\", \"laion_coco\": \"b\"}\n{\"laion_2b\": \"x\", \"laion_coco\": \"y\"}\n");
  WriteFile(dir.File("a.json"), "[{\"laion_2b\": \"caf\xC3\xA9\",\n \"laion_coco\": \"b\"},\n"
                                "{\"laion_2b\": \"x\", \"laion_coco\": \"y\"}]");
  WriteFile(dir.File("a.csv"), "laion_2b,laion_coco\ncaf\xC3\xA9,b\nx,y\n");
  auto a = ReadAll(dir.File("a.jsonl"));
  auto b = ReadAll(dir.File("a.jsonl"));
  auto c = ReadAll(dir.File("a.json"));
  auto d = ReadAll(dir.File("a.csv"));
  ASSERT_EQ(a.records.size(), 2u);
  ASSERT_EQ(c.records.size(), 2u);
  ASSERT_EQ(d.records.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(a.records[i].id_generated);
    EXPECT_EQ(a.records[i].id.size(), 16u);
    EXPECT_EQ(a.records[i].id, b.records[i].id);
    // Strings hash by their decoded text, so escapes and formats do not matter.
    EXPECT_EQ(a.records[i].id, c.records[i].id);
    EXPECT_EQ(a.records[i].id, d.records[i].id);
  }
  EXPECT_NE(a.records[0].id, a.records[1].id);
  // XXH64 of "laion_2b\0x\0laion_coco\0y\0", computed with the xxHash library.
  EXPECT_EQ(a.records[1].id, "c721df619ddff1da");
}

TEST(IoJsonlTest, FieldMapPicksIdAndReferences) {
  TempDir dir;
  WriteFile(dir.File("m.jsonl"),
            "{\"key\": \"row-1\", \"alt\": \"a  b\", \"syn\": \"c\", \"ref\": \" r1 \"}\n"
            "{\"key\": 42, \"alt\": \"a\", \"syn\": \"c\"}\n"
            "{\"key\": null, \"alt\": \"a\", \"syn\": \"c\", \"ref\": \"r\"}\n"
            "{\"key\": [1], \"alt\": \"a\", \"syn\": \"c\"}\n");
  ReaderOptions opt;
  opt.fields.raw = "alt";
  opt.fields.synthetic = "syn";
  opt.fields.id = "key";
  opt.fields.references = {"ref"};
  auto r = ReadAll(dir.File("m.jsonl"), opt);
  ASSERT_EQ(r.records.size(), 3u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.records[0].id, "row-1");
  EXPECT_FALSE(r.records[0].id_generated);
  EXPECT_EQ(r.records[0].raw, "a b");
  ASSERT_EQ(r.records[0].references.size(), 1u);
  EXPECT_EQ(r.records[0].references[0], "r1");
  EXPECT_EQ(r.records[1].id, "42");
  EXPECT_EQ(r.records[1].references[0], "");  // absent, not required
  EXPECT_TRUE(r.records[2].id_generated);     // null id
  EXPECT_EQ(r.rejects[0].origin, dir.File("m.jsonl") + ":4");
  EXPECT_EQ(r.rejects[0].reason, "id field key is an array, not a string or number");

  opt.require_references = true;
  auto strict = ReadAll(dir.File("m.jsonl"), opt);
  EXPECT_EQ(strict.records.size(), 2u);
  ASSERT_EQ(strict.rejects.size(), 2u);
  EXPECT_EQ(strict.rejects[0].reason, "missing field ref");
}

TEST(IoJsonlTest, RepeatedKeyKeepsFirstPlaceAndLastValue) {
  TempDir dir;
  WriteFile(dir.File("d.jsonl"), "{\"laion_2b\": \"old\", \"laion_coco\": \"c\", \"laion_2b\": \"new\"}\n");
  auto r = ReadAll(dir.File("d.jsonl"));
  ASSERT_EQ(r.records.size(), 1u);
  ASSERT_EQ(r.records[0].fields.size(), 2u);
  EXPECT_EQ(r.records[0].fields[0].json, "\"new\"");
  EXPECT_EQ(r.records[0].raw, "new");
}

TEST(IoJsonlTest, OptionalCaptionsAndEntityDecodingSwitch) {
  TempDir dir;
  WriteFile(dir.File("o.jsonl"), "{\"laion_2b\": \"a &amp; b\"}\n{\"laion_coco\": 3}\n");
  ReaderOptions opt;
  opt.require_synthetic = false;
  opt.require_raw = false;
  opt.decode_entities = false;
  auto r = ReadAll(dir.File("o.jsonl"), opt);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].raw, "a &amp; b");
  EXPECT_EQ(r.records[0].synthetic, "");
  EXPECT_EQ(r.records[1].synthetic, "");
}

TEST(IoJsonlTest, ManyRowsAcrossBufferBoundaries) {
  TempDir dir;
  std::string text = testing::CaptionRows(20000);  // ~1.4 MB: many 256 KiB refills
  WriteFile(dir.File("big.jsonl"), text);
  auto r = ReadAll(dir.File("big.jsonl"));
  ASSERT_EQ(r.records.size(), 20000u);
  EXPECT_EQ(r.rejects.size(), 0u);
  for (size_t i = 0; i < r.records.size(); i += 997) {
    EXPECT_EQ(r.records[i].raw, "raw caption " + std::to_string(i));
    EXPECT_EQ(r.records[i].origin, dir.File("big.jsonl") + ":" + std::to_string(i + 1));
  }
}

TEST(IoJsonlTest, FormatFromNameFlagAndContent) {
  EXPECT_EQ(FormatFromPath("x/data.JSONL.ZST"), Format::kJsonl);
  EXPECT_EQ(FormatFromPath("data.json.gz"), Format::kJson);
  EXPECT_EQ(FormatFromPath("data.csv.zst"), Format::kCsv);
  EXPECT_EQ(FormatFromPath("data.tsv"), Format::kTsv);
  EXPECT_EQ(FormatFromPath("data.ndjson"), Format::kJsonl);
  EXPECT_EQ(FormatFromPath("data.txt"), Format::kAuto);
  EXPECT_EQ(*ParseFormat("JSONL"), Format::kJsonl);
  EXPECT_FALSE(ParseFormat("xml").ok());
  EXPECT_STREQ(FormatName(Format::kTsv), "tsv");

  TempDir dir;
  // JSONL content in a .json file, JSON array content in a .txt file.
  WriteFile(dir.File("lines.json"), testing::CaptionRows(3));
  WriteFile(dir.File("array.txt"), "\n [" + std::string("{\"laion_2b\":\"a\",\"laion_coco\":\"b\"}]"));
  WriteFile(dir.File("table.txt"), "laion_2b\tlaion_coco\na, b\tc\n");
  WriteFile(dir.File("table2.dat"), "laion_2b,laion_coco\na,b\n");
  EXPECT_EQ(ReadAll(dir.File("lines.json")).records.size(), 3u);
  EXPECT_EQ(ReadAll(dir.File("array.txt")).records.size(), 1u);
  auto tsv = ReadAll(dir.File("table.txt"));
  ASSERT_EQ(tsv.records.size(), 1u);
  EXPECT_EQ(tsv.records[0].raw, "a, b");
  EXPECT_EQ(ReadAll(dir.File("table2.dat")).records.size(), 1u);
  // An explicit format wins over the name.
  ReaderOptions opt;
  opt.format = Format::kCsv;
  WriteFile(dir.File("t.jsonl"), "laion_2b,laion_coco\na,b\n");
  EXPECT_EQ(ReadAll(dir.File("t.jsonl"), opt).records.size(), 1u);
}

TEST(IoJsonlTest, ByteOrderMarkIsSkipped) {
  TempDir dir;
  WriteFile(dir.File("bom.jsonl"), "\xEF\xBB\xBF{\"laion_2b\":\"a\",\"laion_coco\":\"b\"}\n");
  auto r = ReadAll(dir.File("bom.jsonl"));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields[0].name, "laion_2b");
}

TEST(IoJsonlTest, OpenErrors) {
  auto missing = RecordReader::Open("/nonexistent/x.jsonl", ReaderOptions());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  TempDir dir;
  auto isdir = RecordReader::Open(dir.path(), ReaderOptions());
  ASSERT_FALSE(isdir.ok());
  EXPECT_NE(isdir.status().message().find("directory"), std::string::npos);
  WriteFile(dir.File("x.jsonl.xz"), std::string("\xFD" "7zXZ\0\0\0", 8));
  auto xz = RecordReader::Open(dir.File("x.jsonl.xz"), ReaderOptions());
  ASSERT_FALSE(xz.ok());
  EXPECT_EQ(xz.status().code(), Status::Code::kNotSupported);
}

}  // namespace
}  // namespace capsfusion
