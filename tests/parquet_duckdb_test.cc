// The Parquet reader and writer checked against DuckDB (@duckdb/node-api,
// installed by scripts/setup-test-deps.sh): DuckDB writes files in every
// combination of compression, dictionary, page version, nulls and row-group
// size and our reader must return exactly its values; DuckDB must read every
// file our writer writes with exactly our values. Skipped, with a message,
// when node or node_modules/@duckdb is missing.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "parquet_build.h"
#include "parquet_test_helpers.h"
#include "test_util.h"

namespace capsfusion::testing {
namespace {

using nlohmann::ordered_json;

std::string DuckDbMissing() {
  const std::string module = SourceDir() + "/node_modules/@duckdb/node-api/package.json";
  if (!std::ifstream(module)) {
    return "DuckDB is not installed (run scripts/setup-test-deps.sh): node_modules/@duckdb is absent";
  }
  std::string out;
  if (RunCommand("node --version", &out) != 0) return "node is not installed";
  return "";
}

// Runs tests/duckdb/duckdb_parquet.mjs with `args`; false (and the output in *out) on failure.
bool DuckDb(const std::string& args, std::string* out) {
  return RunCommand("cd '" + SourceDir() + "' && node tests/duckdb/duckdb_parquet.mjs " + args, out) == 0;
}

std::vector<ordered_json> JsonLines(const std::string& path) {
  std::vector<ordered_json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(ordered_json::parse(line));
  }
  return rows;
}

TEST(ParquetDuckDb, ReaderMatchesDuckDbWrittenFiles) {
  const std::string missing = DuckDbMissing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  TempDir dir;
  std::string out;
  ASSERT_TRUE(DuckDb("write-cases '" + dir.path() + "'", &out)) << out;
  const ordered_json cases = ordered_json::parse(ReadFile(dir.File("cases.json")));
  ASSERT_EQ(cases.size(), 81u);  // 5 codecs x dictionary x v1/v2 x nulls x 2 row-group sizes, + an empty file
  std::set<std::string> encodings, passed;
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    for (const auto& e : c["encodings"]) encodings.insert(e.get<std::string>());
    ReadResult got = ReadAll(dir.File(name + ".parquet"), AnyRow());
    ASSERT_TRUE(got.open_status.ok()) << got.open_status.ToString();
    ASSERT_TRUE(got.status.ok()) << got.status.ToString();
    ASSERT_TRUE(got.rejects.empty()) << got.rejects[0].reason;
    const auto want = JsonLines(dir.File(name + ".expected.jsonl"));
    ASSERT_EQ(got.records.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(got.records[i].fields.size(), want[i].size()) << "row " << i;
      ASSERT_EQ(CompareRow(got.records[i], want[i], {"f"}), "") << "row " << i;
    }
    passed.insert(name);
  }
  EXPECT_EQ(passed.size(), cases.size());
  // The files exercised every encoding DuckDB writes, v1 and v2 pages alike.
  for (const char* e : {"PLAIN", "PLAIN_DICTIONARY", "RLE_DICTIONARY", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
                        "BYTE_STREAM_SPLIT"}) {
    EXPECT_TRUE(encodings.count(e)) << e;
  }
}

std::vector<ordered_json> WriterRows(int n, bool nulls) {
  std::vector<ordered_json> rows;
  for (int i = 0; i < n; ++i) {
    ordered_json r;
    r["key"] = "s" + std::to_string(i);
    r["laion_2b"] = i % 9 == 0 ? "" : "alt \"text\" \\ " + std::to_string(i % 17) + " café\t日本 🐱";
    r["laion_coco"] = "a photo of a thing number " + std::to_string(i);
    r["width"] = int64_t{i} * 1000003 - 5000000;
    r["small"] = i % 5;
    r["score"] = i / 8.0 - 3.3;
    r["ok"] = i % 3 == 0;
    r["mixed"] = i % 2 == 0 ? ordered_json(i) : ordered_json("s" + std::to_string(i));
    r["obj"] = ordered_json{{"w", i}, {"tags", ordered_json::array({"a", "b"})}};
    if (nulls) {
      r["maybe"] = i % 4 == 0 ? ordered_json(nullptr) : ordered_json("v" + std::to_string(i % 11));
      r["maybe_int"] = i % 3 == 1 ? ordered_json(nullptr) : ordered_json(i);
      r["maybe_bool"] = i % 5 == 2 ? ordered_json(nullptr) : ordered_json(i % 2 == 0);
      r["never"] = nullptr;
    }
    rows.push_back(r);
  }
  return rows;
}

ordered_json AsWritten(const ordered_json& row) {
  ordered_json e = row;
  e["mixed"] = row["mixed"].is_string() ? row["mixed"] : ordered_json(row["mixed"].dump());
  e["obj"] = row["obj"].dump();
  return e;
}

TEST(ParquetDuckDb, DuckDbReadsWhatWeWrite) {
  const std::string missing = DuckDbMissing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  TempDir dir;
  using C = ParquetWriteOptions::Compression;
  const std::pair<C, const char*> codecs[] = {
      {C::kZstd, "zstd"}, {C::kSnappy, "snappy"}, {C::kGzip, "gzip"}, {C::kLz4Raw, "lz4_raw"}, {C::kNone, "none"}};
  std::map<std::string, std::vector<ordered_json>> written;
  for (const auto& [codec, codec_name] : codecs) {
    for (bool dictionary : {true, false}) {
      for (bool nulls : {false, true}) {
        for (size_t group : {size_t{500}, size_t{100000}}) {
          const std::string name = std::string("ours_") + codec_name + (dictionary ? "_dict" : "_nodict") +
                                   (nulls ? "_nulls" : "_nonull") + "_rg" + std::to_string(group);
          WriterOptions w;
          w.parquet.compression = codec;
          w.parquet.dictionary = dictionary;
          w.parquet.row_group_rows = group;
          w.parquet.page_bytes = 16 << 10;
          auto rows = WriterRows(2000, nulls);
          Status s = WriteRecords(dir.File(name + ".parquet"), RecordsFromJson(rows), w);
          ASSERT_TRUE(s.ok()) << name << ": " << s.ToString();
          written[name] = std::move(rows);
        }
      }
    }
  }
  std::string out;
  ASSERT_TRUE(DuckDb("read-all '" + dir.path() + "'", &out)) << out;
  for (const auto& [name, rows] : written) {
    SCOPED_TRACE(name);
    ASSERT_FALSE(std::ifstream(dir.File(name + ".duckdb.error"))) << ReadFile(dir.File(name + ".duckdb.error"));
    const auto got = JsonLines(dir.File(name + ".duckdb.jsonl"));
    ASSERT_EQ(got.size(), rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      const ordered_json want = AsWritten(rows[i]);
      ASSERT_EQ(got[i].size(), want.size()) << "row " << i;
      for (const auto& [k, v] : want.items()) {
        ASSERT_TRUE(got[i].contains(k)) << k;
        ASSERT_TRUE(SameValue(got[i][k], v)) << "row " << i << " " << k << ": DuckDB " << got[i][k].dump() << ", ours "
                                             << v.dump();
      }
    }
  }
  // Footer statistics as DuckDB sees them.
  ASSERT_TRUE(DuckDb("stats '" + dir.File("ours_zstd_dict_nulls_rg500.parquet") + "' '" + dir.File("stats.json") + "'",
                     &out))
      << out;
  const ordered_json stats = ordered_json::parse(ReadFile(dir.File("stats.json")));
  bool saw_width = false, saw_maybe = false;
  for (const auto& c : stats["chunks"]) {
    if (c["row_group_id"] == "0" && c["path_in_schema"] == "width") {
      saw_width = true;
      EXPECT_EQ(c["stats_min_value"], "-5000000");
      EXPECT_EQ(c["stats_max_value"], std::to_string(int64_t{499} * 1000003 - 5000000));
      EXPECT_EQ(c["stats_null_count"], "0");
    }
    if (c["row_group_id"] == "1" && c["path_in_schema"] == "maybe") {
      saw_maybe = true;
      EXPECT_EQ(c["stats_null_count"], "125");
      EXPECT_EQ(c["stats_min_value"], "v0");
      EXPECT_EQ(c["stats_max_value"], "v9");
    }
  }
  EXPECT_TRUE(saw_width && saw_maybe);
}

TEST(ParquetDuckDb, HandBuiltDeltaAndV2PagesReadTheSame) {
  // Pages our writer never makes (DELTA_BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY,
  // v2 pages, REQUIRED columns): DuckDB and our reader must agree on them.
  const std::string missing = DuckDbMissing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  TempDir dir;
  std::vector<std::string> words;
  for (int i = 0; i < 300; ++i) words.push_back("caption " + std::to_string(i / 3) + (i % 2 ? " été" : ""));
  std::vector<uint32_t> levels;
  std::vector<std::string> present;
  for (int i = 0; i < 300; ++i) {
    levels.push_back(i % 7 != 0);
    if (levels.back()) present.push_back(words[i]);
  }
  std::vector<HandColumn> cols(3);
  cols[0].name = "dba";
  cols[0].repetition = parquet::kRequired;
  cols[0].pages = {PageV2(300, parquet::kDeltaByteArray, {}, DeltaByteArrayValues(words))};
  cols[1].name = "dlba";
  cols[1].pages = {PageV1(300, parquet::kDeltaLengthByteArray, levels, DeltaLengthValues(present))};
  cols[2].name = "dba_opt";
  cols[2].pages = {PageV2(300, parquet::kDeltaByteArray, levels, DeltaByteArrayValues(present))};
  WriteFile(dir.File("hand.parquet"), BuildParquet(cols, 300));
  std::string out;
  ASSERT_TRUE(DuckDb("read-all '" + dir.path() + "'", &out)) << out;
  ASSERT_FALSE(std::ifstream(dir.File("hand.duckdb.error"))) << ReadFile(dir.File("hand.duckdb.error"));
  const auto want = JsonLines(dir.File("hand.duckdb.jsonl"));
  ReadResult got = ReadAll(dir.File("hand.parquet"), AnyRow());
  ASSERT_TRUE(got.status.ok()) << got.status.ToString();
  ASSERT_EQ(got.records.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(CompareRow(got.records[i], want[i]), "") << i;
  EXPECT_EQ(got.records[7].Find("dlba")->json, "null");
  EXPECT_EQ(got.records[8].Find("dba_opt")->json, JsonString(words[8]));
}

}  // namespace
}  // namespace capsfusion::testing
