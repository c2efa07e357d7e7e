// The CLI on Parquet and WebDataset files: fuse reads and writes them like
// JSONL (format from the extension or --format), eval scores them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion::testing {
namespace {

using testing::Cli;

TEST(ParquetCli, FuseParquetToParquetThenEval) {
  TempDir dir;
  std::string jsonl;
  for (int i = 0; i < 50; ++i) {
    jsonl += "{\"laion_2b\":\"a red car &amp; a tree " + std::to_string(i) + "\",\"laion_coco\":\"a car parked by a tree\"," +
             "\"width\":" + std::to_string(100 + i) + "}\n";
  }
  WriteFile(dir.File("in.jsonl"), jsonl);
  std::string out;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("x.parquet") + " -q", &out), 0) << out;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("x.parquet") + " -o " + dir.File("y.parquet") +
                           " --method concat --output-field fused -q --parquet-compression snappy --row-group-size 7",
                       &out),
            0)
      << out;
  ReadResult y = ReadAll(dir.File("y.parquet"));
  ASSERT_EQ(y.records.size(), 50u);
  EXPECT_EQ(y.records[3].Find("width")->json, "103");
  EXPECT_EQ(y.records[3].Find("fused")->json, "\"a red car & a tree 3 a car parked by a tree\"");
  ASSERT_EQ(RunCommand(Cli() + " eval " + dir.File("y.parquet") + " -c fused -r laion_coco --json", &out), 0) << out;
  auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_FALSE(j.empty());
  EXPECT_NE(out.find("bleu_1"), std::string::npos);
  // --format parquet for a name that says nothing; a damaged file is a one-line error.
  WriteFile(dir.File("z.data"), ReadFile(dir.File("y.parquet")));
  EXPECT_EQ(RunCommand(Cli() + " fuse --format parquet " + dir.File("z.data") + " -o " + dir.File("z.jsonl") + " -q", &out), 0)
      << out;
  WriteFile(dir.File("bad.parquet"), "PAR1 not really PAR1");
  EXPECT_EQ(RunCommand(Cli() + " fuse " + dir.File("bad.parquet") + " -o " + dir.File("bad.jsonl") + " -q", &out), 1);
  EXPECT_NE(out.find("bad.parquet"), std::string::npos) << out;
}

TEST(ParquetCli, WebDatasetShardInTarAndParquetOut) {
  TempDir dir;
  std::string out;
  const std::string d = dir.path();
  ASSERT_EQ(RunCommand("cd '" + d + "' && for i in 0 1 2; do printf 'alt %s' $i > 00$i.txt && printf '{\"blip\":\"a dog %s\"}' $i > 00$i.json && "
                       "head -c 300 /dev/zero > 00$i.jpg; done && tar cf shard.tar 000.* 001.* 002.*",
                       &out),
            0)
      << out;
  const std::string flags = " --raw-field txt --synthetic-field blip -q --method concat";
  ASSERT_EQ(RunCommand(Cli() + " fuse " + d + "/shard.tar -o " + d + "/out.tar" + flags, &out), 0) << out;
  ASSERT_EQ(RunCommand("tar tf " + d + "/out.tar | grep -c capsfusion.txt", &out), 0);
  EXPECT_EQ(out, "3\n");
  ASSERT_EQ(RunCommand(Cli() + " fuse --format webdataset " + d + "/out.tar -o " + d + "/side.parquet" + flags, &out), 0)
      << out;
  ReadResult side = ReadAll(d + "/side.parquet", ReaderOptions());
  ASSERT_EQ(side.records.size(), 0u);  // the default FieldMap has no such fields: every row rejected
  ReaderOptions o;
  o.fields.raw = "txt";
  o.fields.synthetic = "blip";
  side = ReadAll(d + "/side.parquet", o);
  ASSERT_EQ(side.records.size(), 3u);
  EXPECT_EQ(side.records[2].Find("__key__")->json, "\"002\"");
  EXPECT_EQ(side.records[2].Find("capsfusion")->json, "\"alt 2 a dog 2\"");
}

}  // namespace
}  // namespace capsfusion::testing
