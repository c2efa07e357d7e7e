// Parquet reader and writer: the building blocks (Thrift compact protocol,
// RLE/bit-packed hybrid, delta encodings, JSON text of values), round trips
// through our own writer, hand-built pages for what the writer never emits,
// projection, and damaged files (which must give errors, never crashes).
#include <gtest/gtest.h>

#include <random>

#include "parquet/delta_decoder.h"
#include "parquet/json_text.h"
#include "parquet/metadata.h"
#include "parquet/rle_hybrid.h"
#include "parquet/thrift_compact.h"
#include "parquet_build.h"
#include "parquet_test_helpers.h"
#include "test_util.h"

namespace capsfusion::testing {
namespace {

using nlohmann::ordered_json;

TEST(ParquetThrift, RoundTripAndSkip) {
  std::string buf;
  parquet::ThriftWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, -5);
  w.FieldI64(3, int64_t{1} << 40);
  w.FieldBinary(4, "hello");
  w.FieldStruct(20);  // a long delta: the field id is written in full
  w.BeginStruct();
  w.FieldBool(1, true);
  w.FieldList(2, parquet::ThriftType::kI32, 20);
  for (int i = 0; i < 20; ++i) w.ElementI32(i - 10);
  w.EndStruct();
  w.FieldBool(21, false);
  w.EndStruct();

  parquet::ThriftReader r(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
  r.BeginStruct();
  int16_t id;
  parquet::ThriftType t;
  std::vector<int16_t> ids;
  while (r.NextField(&id, &t)) {
    ids.push_back(id);
    if (id == 1) EXPECT_EQ(r.ReadI32(), -5);
    else if (id == 3) EXPECT_EQ(r.ReadI64(), int64_t{1} << 40);
    else if (id == 4) EXPECT_EQ(r.ReadBinary(), "hello");
    else if (id == 21) EXPECT_FALSE(r.ReadBool(t));
    else r.Skip(t);
  }
  r.EndStruct();
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(ids, (std::vector<int16_t>{1, 3, 4, 20, 21}));
  EXPECT_EQ(r.position(), buf.size());
}

TEST(ParquetThrift, BadBytesFailCleanly) {
  // Deep nesting, absurd lengths, truncation: errors, no crash.
  std::string deep(10000, '\x1c');  // struct field inside struct field ...
  parquet::FileMetaData meta;
  EXPECT_FALSE(parquet::ParseFileMetaData(reinterpret_cast<const uint8_t*>(deep.data()), deep.size(), &meta).ok());
  std::string huge_list = "\x19\xfc\xff\xff\xff\xff\x0f";  // field 1, list of 2^32-1 structs
  EXPECT_FALSE(parquet::ParseFileMetaData(reinterpret_cast<const uint8_t*>(huge_list.data()), huge_list.size(), &meta).ok());
  std::string huge_binary = "\x68\xff\xff\xff\xff\x0f";  // field 6 (created_by), 4 GiB string
  EXPECT_FALSE(parquet::ParseFileMetaData(reinterpret_cast<const uint8_t*>(huge_binary.data()), huge_binary.size(), &meta).ok());
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    parquet::ParseFileMetaData(reinterpret_cast<const uint8_t*>(junk.data()), junk.size(), &meta);
    parquet::PageHeader h;
    size_t n;
    parquet::ParsePageHeader(reinterpret_cast<const uint8_t*>(junk.data()), junk.size(), &h, &n);
  }
}

TEST(ParquetRle, RoundTripsEveryWidth) {
  std::mt19937 rng(1);
  for (int width = 1; width <= 32; ++width) {
    for (int shape = 0; shape < 3; ++shape) {
      std::vector<uint32_t> v(1000 + rng() % 50);
      const uint32_t mask = width == 32 ? 0xffffffffu : (1u << width) - 1;
      for (size_t i = 0; i < v.size(); ++i) {
        v[i] = shape == 0 ? rng() & mask : shape == 1 ? static_cast<uint32_t>((i / 37) & mask) : (i % 3 == 0 ? mask : 0);
      }
      std::string enc;
      parquet::RleEncode(v.data(), v.size(), width, &enc);
      parquet::RleDecoder d;
      d.Reset(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), width);
      for (size_t i = 0; i < v.size(); ++i) {
        uint32_t x;
        ASSERT_TRUE(d.Next(&x)) << width << " " << i;
        ASSERT_EQ(x, v[i]) << width << " " << i;
      }
    }
  }
}

TEST(ParquetDelta, RoundTripsExtremes) {
  std::vector<int64_t> v = {0, INT64_MAX, INT64_MIN, -1, 1, 5, 5, 5, 1000000007, -3};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 1000; ++i) v.push_back(static_cast<int64_t>(rng()) >> (rng() % 64));
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{129}, v.size()}) {
    std::string enc;
    parquet::DeltaEncode(v.data(), n, &enc);
    enc += "tail";
    parquet::DeltaDecoder d;
    ASSERT_TRUE(d.Init(reinterpret_cast<const uint8_t*>(enc.data()), enc.size()));
    ASSERT_EQ(d.total(), n);
    for (size_t i = 0; i < n; ++i) {
      int64_t x;
      ASSERT_TRUE(d.Next(&x));
      ASSERT_EQ(x, v[i]) << i;
    }
    int64_t x;
    EXPECT_FALSE(d.Next(&x));
    parquet::DeltaDecoder skip;
    skip.Init(reinterpret_cast<const uint8_t*>(enc.data()), enc.size());
    ASSERT_TRUE(skip.SkipToEnd());
    EXPECT_EQ(enc.substr(skip.end()), "tail");
  }
}

TEST(ParquetJsonText, Values) {
  std::string s;
  parquet::AppendJsonDouble(3.0, &s);
  s += ' ';
  parquet::AppendJsonDouble(0.1, &s);
  s += ' ';
  parquet::AppendJsonFloat(0.1f, &s);
  s += ' ';
  parquet::AppendJsonDouble(1e300, &s);
  s += ' ';
  parquet::AppendJsonDouble(std::nan(""), &s);
  s += ' ';
  parquet::AppendJsonDecimal(-12345, 2, &s);
  s += ' ';
  parquet::AppendJsonDecimal(5, 3, &s);
  s += ' ';
  parquet::AppendJsonDecimal(0, 0, &s);
  EXPECT_EQ(s, "3.0 0.1 0.1 1e+300 null -123.45 0.005 0");
  std::string j;
  EXPECT_TRUE(parquet::AppendJsonStringChecked(std::string("a\"b\\c\n\x01 é"), &j));
  EXPECT_EQ(j, "\"a\\\"b\\\\c\\n\\u0001 é\"");
  EXPECT_FALSE(parquet::AppendJsonStringChecked("\xff", &j));
}

std::vector<ordered_json> SampleRows(int n) {
  std::vector<ordered_json> rows;
  for (int i = 0; i < n; ++i) {
    ordered_json r;
    r["id"] = "img-" + std::to_string(i);
    r["laion_2b"] = i % 5 == 0 ? "" : "alt \"text\" " + std::to_string(i % 13) + " café\n日本";
    r["laion_coco"] = "a photo of " + std::to_string(i);
    r["width"] = i * 7 - 100;
    r["score"] = i / 8.0 + 0.1;
    r["ok"] = i % 3 == 0;
    r["maybe"] = i % 4 == 0 ? ordered_json(nullptr) : ordered_json(i % 2 == 0 ? "even" : "odd");
    r["mixed"] = i % 2 == 0 ? ordered_json(i) : ordered_json("s" + std::to_string(i));
    r["tags"] = ordered_json::array({"a", i});
    if (i % 6 != 1) r["sometimes"] = int64_t{1} << 40;
    rows.push_back(r);
  }
  return rows;
}

// What reading a written file gives back for a sample row: mixed and complex
// values turn into strings, missing fields into nulls.
ordered_json ExpectedBack(const ordered_json& row) {
  ordered_json e = row;
  e["mixed"] = row["mixed"].is_string() ? row["mixed"] : ordered_json(row["mixed"].dump());
  e["tags"] = row["tags"].dump();
  if (!row.contains("sometimes")) e["sometimes"] = nullptr;
  return e;
}

TEST(ParquetRoundTrip, EveryCodecDictionaryAndRowGroupSize) {
  TempDir dir;
  const auto rows = SampleRows(1500);
  const auto records = RecordsFromJson(rows);
  using C = ParquetWriteOptions::Compression;
  for (C codec : {C::kZstd, C::kSnappy, C::kGzip, C::kLz4Raw, C::kNone}) {
    for (bool dictionary : {true, false}) {
      for (size_t group : {size_t{7}, size_t{100000}}) {
        WriterOptions w;
        w.parquet.compression = codec;
        w.parquet.dictionary = dictionary;
        w.parquet.row_group_rows = group;
        w.parquet.page_bytes = 4096;  // several pages per chunk
        const std::string path = dir.File("t.parquet");
        Status ws = WriteRecords(path, records, w);
        ASSERT_TRUE(ws.ok()) << ws.ToString();
        ReadResult got = ReadAll(path, AnyRow());
        ASSERT_TRUE(got.open_status.ok()) << got.open_status.ToString();
        ASSERT_TRUE(got.status.ok()) << got.status.ToString();
        ASSERT_EQ(got.records.size(), rows.size());
        for (size_t i = 0; i < rows.size(); ++i) {
          ASSERT_EQ(CompareRow(got.records[i], ExpectedBack(rows[i])), "") << "row " << i << " group " << group;
        }
        EXPECT_EQ(got.records[17].origin, path + ":row 18");
      }
    }
  }
}

TEST(ParquetRoundTrip, SameIdsAsJsonl) {
  // Generated ids hash the decoded values: a Parquet copy of a JSONL file
  // gives every row the same id when its values keep their text.
  TempDir dir;
  WriteFile(dir.File("a.jsonl"), "{\"laion_2b\":\"a \\\"b\\\"\",\"laion_coco\":\"c\",\"n\":5}\n{\"laion_2b\":\"x\",\"laion_coco\":\"y\",\"n\":6}\n");
  ReadResult jsonl = ReadAll(dir.File("a.jsonl"));
  ASSERT_EQ(jsonl.records.size(), 2u);
  ASSERT_TRUE(WriteRecords(dir.File("a.parquet"), jsonl.records, WriterOptions()).ok());
  ReadResult pq = ReadAll(dir.File("a.parquet"));
  ASSERT_EQ(pq.records.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(pq.records[i].id, jsonl.records[i].id);
    EXPECT_EQ(pq.records[i].raw, jsonl.records[i].raw);
  }
}

TEST(ParquetWriter, EmptyOutputIsAValidFile) {
  TempDir dir;
  ASSERT_TRUE(WriteRecords(dir.File("e.parquet"), {}, WriterOptions()).ok());
  ReadResult got = ReadAll(dir.File("e.parquet"));
  EXPECT_TRUE(got.open_status.ok()) << got.open_status.ToString();
  EXPECT_TRUE(got.records.empty());
}

TEST(ParquetWriter, LaterRowGroupsMustFitTheColumns) {
  TempDir dir;
  WriterOptions w;
  w.parquet.row_group_rows = 2;
  auto a = RecordsFromJson({{{"n", 1}}, {{"n", 2}}, {{"n", "three"}}});
  Status s = WriteRecords(dir.File("a.parquet"), a, w);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("column n is int64"), std::string::npos) << s.message();
  auto b = RecordsFromJson({{{"n", 1}}, {{"n", 2}}, {{"n", 3}, {"new", 1}}});
  s = WriteRecords(dir.File("b.parquet"), b, w);
  EXPECT_NE(s.message().find("field new first appears in row 3"), std::string::npos) << s.message();
  // With the columns given, other fields are left out and missing ones are null.
  w.columns = {"n", "later"};
  ASSERT_TRUE(WriteRecords(dir.File("c.parquet"), b, w).ok());
  ReadResult got = ReadAll(dir.File("c.parquet"), AnyRow());
  ASSERT_EQ(got.records.size(), 3u);
  EXPECT_EQ(got.records[2].fields.size(), 2u);
  EXPECT_EQ(got.records[2].Find("later")->json, "null");
  // Integers then doubles: a double column takes exact integers later.
  auto d = RecordsFromJson({{{"x", 1.5}}, {{"x", 2.5}}, {{"x", 3}}});
  ASSERT_TRUE(WriteRecords(dir.File("d.parquet"), d, w = WriterOptions()).ok());
  EXPECT_EQ(ReadAll(dir.File("d.parquet"), AnyRow()).records[2].Find("x")->json, "3.0");
  EXPECT_FALSE(RecordWriter::Open(dir.File("x.parquet.gz"), WriterOptions()).ok());
}

TEST(ParquetReader, ProjectionReadsOnlyTheFieldMapColumns) {
  TempDir dir;
  ASSERT_TRUE(WriteRecords(dir.File("p.parquet"), RecordsFromJson(SampleRows(2000)), WriterOptions()).ok());
  ReaderOptions all;
  ReadResult full = ReadAll(dir.File("p.parquet"), all);
  ReaderOptions some;
  some.columns = ColumnSelection::kFieldMap;
  some.extra_columns = {"ok"};
  ReadResult part = ReadAll(dir.File("p.parquet"), some);
  ASSERT_EQ(part.records.size(), 2000u);
  ASSERT_EQ(part.records[0].fields.size(), 3u);
  EXPECT_EQ(part.records[0].fields[0].name, "laion_2b");
  EXPECT_EQ(part.records[0].fields[2].name, "ok");
  EXPECT_EQ(part.records[9].raw, full.records[9].raw);
  EXPECT_LT(part.bytes_read * 2, full.bytes_read);
}

TEST(ParquetReader, HandBuiltEncodingsAndRequiredColumns) {
  TempDir dir;
  const std::vector<std::string> words = {"apple", "applesauce", "apply", "", "banana", "band", "日本", "日本語"};
  std::vector<int64_t> ints = {5, -7, 1LL << 50, 0, 3, 3, 3, -1};
  std::string int_values;
  parquet::DeltaEncode(ints.data(), ints.size(), &int_values);
  std::vector<uint32_t> levels = {1, 0, 1, 1, 0, 1, 1, 1};
  std::vector<std::string> present;
  for (size_t i = 0; i < words.size(); ++i) {
    if (levels[i]) present.push_back(words[i]);
  }
  std::vector<HandColumn> cols(5);
  cols[0].name = "dba";  // REQUIRED, DELTA_BYTE_ARRAY, split over a v1 and a v2 page
  cols[0].repetition = parquet::kRequired;
  cols[0].pages = {PageV1(3, parquet::kDeltaByteArray, {}, DeltaByteArrayValues({words.begin(), words.begin() + 3})),
                   PageV2(5, parquet::kDeltaByteArray, {}, DeltaByteArrayValues({words.begin() + 3, words.end()}))};
  cols[1].name = "dlba";  // OPTIONAL, DELTA_LENGTH_BYTE_ARRAY, v2
  cols[1].pages = {PageV2(8, parquet::kDeltaLengthByteArray, levels, DeltaLengthValues(present))};
  cols[2].name = "delta_int";  // REQUIRED INT64, DELTA_BINARY_PACKED, v1
  cols[2].type = parquet::kInt64;
  cols[2].repetition = parquet::kRequired;
  cols[2].converted_type = -1;
  cols[2].pages = {PageV1(8, parquet::kDeltaBinaryPacked, {}, int_values)};
  cols[3].name = "plain_opt";  // OPTIONAL PLAIN, v1
  cols[3].pages = {PageV1(8, parquet::kPlain, levels, PlainStrings(present))};
  cols[4].name = "rle_bool";  // REQUIRED BOOLEAN, RLE, v2
  cols[4].type = parquet::kBoolean;
  cols[4].repetition = parquet::kRequired;
  cols[4].converted_type = -1;
  {
    std::vector<uint32_t> bits = {1, 1, 0, 1, 0, 0, 0, 1};
    std::string rle;
    parquet::RleEncode(bits.data(), bits.size(), 1, &rle);
    std::string values;
    PutLE32(static_cast<uint32_t>(rle.size()), &values);
    cols[4].pages = {PageV2(8, parquet::kRle, {}, values + rle)};
  }
  WriteFile(dir.File("hand.parquet"), BuildParquet(cols, 8));
  ReadResult got = ReadAll(dir.File("hand.parquet"), AnyRow());
  ASSERT_TRUE(got.open_status.ok()) << got.open_status.ToString();
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  ASSERT_EQ(got.records.size(), 8u);
  const char* bools[] = {"true", "true", "false", "true", "false", "false", "false", "true"};
  for (size_t i = 0; i < 8; ++i) {
    const Record& r = got.records[i];
    EXPECT_EQ(r.Find("dba")->json, JsonString(words[i])) << i;
    EXPECT_EQ(r.Find("dlba")->json, levels[i] ? JsonString(words[i]) : "null") << i;
    EXPECT_EQ(r.Find("plain_opt")->json, levels[i] ? JsonString(words[i]) : "null") << i;
    EXPECT_EQ(r.Find("delta_int")->json, std::to_string(ints[i])) << i;
    EXPECT_EQ(r.Find("rle_bool")->json, bools[i]) << i;
  }
}

std::string NestedFile() {
  HandColumn flat;
  flat.name = "laion_2b";
  flat.pages = {PageV1(2, parquet::kPlain, {1, 1}, PlainStrings({"a", "b"}))};
  HandColumn syn = flat;
  syn.name = "laion_coco";
  std::vector<parquet::SchemaElement> group(2);
  group[0].name = "bboxes";
  group[0].repetition = parquet::kOptional;
  group[0].num_children = 1;
  group[0].converted_type = parquet::kList;
  group[1].name = "element";
  group[1].type = parquet::kDouble;
  group[1].repetition = parquet::kRepeated;
  HandColumn leaf;
  leaf.name = "element";
  leaf.type = parquet::kDouble;
  leaf.pages = {PageV1(0, parquet::kPlain, {}, "")};
  return BuildParquet({flat, syn}, 2, group, {leaf});
}

TEST(ParquetReader, NestedColumnsAreSkippedWhenNotNeeded) {
  TempDir dir;
  WriteFile(dir.File("n.parquet"), NestedFile());
  ReadResult all = ReadAll(dir.File("n.parquet"));
  ASSERT_FALSE(all.open_status.ok());
  EXPECT_NE(all.open_status.message().find("column bboxes is a nested group"), std::string::npos)
      << all.open_status.message();
  ReaderOptions skip;
  skip.skip_unsupported_columns = true;
  ReadResult skipped = ReadAll(dir.File("n.parquet"), skip);
  ASSERT_TRUE(skipped.open_status.ok()) << skipped.open_status.ToString();
  ASSERT_EQ(skipped.records.size(), 2u);
  EXPECT_EQ(skipped.records[1].raw, "b");
  ReaderOptions fieldmap;
  fieldmap.columns = ColumnSelection::kFieldMap;
  EXPECT_EQ(ReadAll(dir.File("n.parquet"), fieldmap).records.size(), 2u);
  fieldmap.fields.raw = "bboxes";
  ReadResult needed = ReadAll(dir.File("n.parquet"), fieldmap);
  EXPECT_FALSE(needed.open_status.ok());
}

TEST(ParquetReader, FormatFromContentAndFlag) {
  TempDir dir;
  ASSERT_TRUE(WriteRecords(dir.File("a.parquet"), RecordsFromJson(SampleRows(3)), WriterOptions()).ok());
  WriteFile(dir.File("data.bin"), ReadFile(dir.File("a.parquet")));
  EXPECT_EQ(ReadAll(dir.File("data.bin")).records.size(), 3u);
  ReaderOptions o;
  o.format = Format::kParquet;
  EXPECT_EQ(ReadAll(dir.File("data.bin"), o).records.size(), 3u);
  EXPECT_EQ(*ParseFormat("parquet"), Format::kParquet);
  EXPECT_EQ(FormatFromPath("x/y.PARQUET"), Format::kParquet);
  o.format = Format::kParquet;
  EXPECT_FALSE(RecordReader::Open("-", o).ok());
}

// Reads everything it can; must not crash, hang or allocate wildly.
void ReadDamaged(const std::string& path) {
  ReadResult r = ReadAll(path, AnyRow());
  (void)r;
}

TEST(ParquetHostile, EveryTruncationAndWrongMagic) {
  TempDir dir;
  ASSERT_TRUE(WriteRecords(dir.File("ok.parquet"), RecordsFromJson(SampleRows(12)), WriterOptions()).ok());
  const std::string good = ReadFile(dir.File("ok.parquet"));
  const std::string path = dir.File("bad.parquet");
  for (size_t n = 0; n < good.size(); ++n) {
    WriteFile(path, good.substr(0, n));
    ReadResult r = ReadAll(path, AnyRow());
    EXPECT_FALSE(r.open_status.ok() && r.status.ok() && r.records.size() == 12) << n;
  }
  std::string bad = good;
  bad[0] = 'X';
  WriteFile(path, bad);
  EXPECT_NE(ReadAll(path).open_status.message().find("no PAR1 magic at the start"), std::string::npos);
  bad = good;
  bad[bad.size() - 1] = 'X';
  WriteFile(path, bad);
  EXPECT_EQ(ReadAll(path).open_status.code(), Status::Code::kCorruption);
  bad = good;
  for (int i = 0; i < 4; ++i) bad[bad.size() - 8 + i] = '\xff';  // footer length 4 GiB
  WriteFile(path, bad);
  EXPECT_NE(ReadAll(path).open_status.message().find("footer length"), std::string::npos);
  // A footer of garbage Thrift.
  bad = good;
  const uint32_t flen = static_cast<uint8_t>(good[good.size() - 8]) | static_cast<uint8_t>(good[good.size() - 7]) << 8;
  for (size_t i = good.size() - 8 - flen; i < good.size() - 8; ++i) bad[i] = '\x2c';
  WriteFile(path, bad);
  EXPECT_FALSE(ReadAll(path).open_status.ok());
}

TEST(ParquetHostile, BadOffsetsAndAbsurdSizes) {
  TempDir dir;
  const std::string path = dir.File("bad.parquet");
  constexpr int64_t kKeep = INT64_MIN;
  // A one-column file whose chunk offset, chunk size or page size is replaced.
  auto build = [&](int64_t data_offset, int64_t compressed, int32_t page_uncompressed) {
    HandColumn c;
    c.name = "laion_2b";
    c.pages = {PageV1(2, parquet::kPlain, {1, 1}, PlainStrings({"a", "b"}))};
    if (page_uncompressed != 0) {
      std::string body;
      std::string rle;
      std::vector<uint32_t> levels = {1, 1};
      parquet::RleEncode(levels.data(), 2, 1, &rle);
      PutLE32(static_cast<uint32_t>(rle.size()), &body);
      body += rle + PlainStrings({"a", "b"});
      parquet::PageHeader h;
      h.type = parquet::kDataPage;
      h.has_data_page = true;
      h.data_page.num_values = 2;
      h.uncompressed_page_size = page_uncompressed;
      h.compressed_page_size = static_cast<int32_t>(body.size());
      c.pages[0].clear();
      parquet::SerializePageHeader(h, &c.pages[0]);
      c.pages[0] += body;
    }
    std::string file = BuildParquet({c}, 2);
    uint32_t flen;
    std::memcpy(&flen, file.data() + file.size() - 8, 4);
    parquet::FileMetaData meta;
    EXPECT_TRUE(parquet::ParseFileMetaData(reinterpret_cast<const uint8_t*>(file.data() + file.size() - 8 - flen), flen,
                                           &meta).ok());
    auto& m = meta.row_groups[0].columns[0].meta_data;
    if (data_offset != kKeep) m.data_page_offset = data_offset;
    if (compressed != kKeep) m.total_compressed_size = compressed;
    std::string out = file.substr(0, file.size() - 8 - flen);
    std::string footer;
    parquet::SerializeFileMetaData(meta, &footer);
    out += footer;
    PutLE32(static_cast<uint32_t>(footer.size()), &out);
    WriteFile(path, out + "PAR1");
    return ReadAll(path, AnyRow());
  };
  EXPECT_EQ(build(kKeep, kKeep, 0).records.size(), 2u);
  for (int64_t off : {int64_t{0}, int64_t{-5}, int64_t{1} << 40, int64_t{100000}}) {
    ReadResult r = build(off, kKeep, 0);
    EXPECT_FALSE(r.status.ok()) << off;
    EXPECT_TRUE(r.records.empty());
  }
  for (int64_t size : {int64_t{0}, int64_t{1} << 50, int64_t{-1000}, int64_t{3}}) {
    EXPECT_FALSE(build(kKeep, size, 0).status.ok()) << size;
  }
  // A page that claims 2 GiB uncompressed from a few bytes is refused before any allocation.
  ReadResult r = build(kKeep, kKeep, INT32_MAX);
  EXPECT_NE(r.status.message().find("claims"), std::string::npos) << r.status.ToString();
  EXPECT_FALSE(build(kKeep, kKeep, -7).status.ok());
}

TEST(ParquetHostile, RandomDamageNeverCrashes) {
  TempDir dir;
  using C = ParquetWriteOptions::Compression;
  std::mt19937 rng(11);
  for (C codec : {C::kZstd, C::kSnappy, C::kGzip, C::kLz4Raw, C::kNone}) {
    WriterOptions w;
    w.parquet.compression = codec;
    w.parquet.row_group_rows = 30;
    ASSERT_TRUE(WriteRecords(dir.File("ok.parquet"), RecordsFromJson(SampleRows(90)), w).ok());
    const std::string good = ReadFile(dir.File("ok.parquet"));
    for (int i = 0; i < 100; ++i) {
      std::string bad = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
      WriteFile(dir.File("bad.parquet"), bad);
      ReadDamaged(dir.File("bad.parquet"));
    }
  }
}

}  // namespace
}  // namespace capsfusion::testing
