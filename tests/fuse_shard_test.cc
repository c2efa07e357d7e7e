// Sharded `capsfusion fuse` and `capsfusion merge`: every shard then merge
// equals the single-process output byte for byte (N = 1..4, by rows and by
// files); missing and incomplete shards are listed exactly and nothing is
// written; shard output names.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include "fuse/shard_layout.h"
#include "fuse_test_helpers.h"

namespace capsfusion {
namespace {

using namespace capsfusion::testing;

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

TEST(ShardLayoutTest, OutputNames) {
  EXPECT_EQ(ShardOutputPath("fused.jsonl", 2, 4), "fused.shard-00002-of-00004.jsonl");
  EXPECT_EQ(ShardOutputPath("/d/x.y/fused.jsonl.zst", 2, 4), "/d/x.y/fused.shard-00002-of-00004.jsonl.zst");
  EXPECT_EQ(ShardOutputPath("out/fused", 0, 2), "out/fused.shard-00000-of-00002");
  EXPECT_EQ(ShardOutputPath("fused.parquet", 0, 1), "fused.parquet");
  EXPECT_EQ(ShardOutputPath("-", 1, 3), "-");
  uint32_t i = 0, n = 0;
  EXPECT_TRUE(ParseShardOutputPath("a/fused.csv.gz", "a/fused.shard-00003-of-00010.csv.gz", &i, &n));
  EXPECT_EQ(i, 3u);
  EXPECT_EQ(n, 10u);
  EXPECT_FALSE(ParseShardOutputPath("a/fused.csv.gz", "a/fused.shard-00010-of-00010.csv.gz", &i, &n));
  EXPECT_FALSE(ParseShardOutputPath("a/fused.csv.gz", "a/fused.shard-00001-of-00010.csv", &i, &n));
  EXPECT_EQ(ResolveShardBy(ShardBy::kAuto, 4, 4), ShardBy::kFiles);
  EXPECT_EQ(ResolveShardBy(ShardBy::kAuto, 3, 4), ShardBy::kRows);
}

TEST(FuseShardTest, ShardsThenMergeEqualOneProcess) {
  TempDir dir;
  std::string inputs;
  for (int f = 0; f < 5; ++f) {
    std::string p = dir.File("in" + std::to_string(f) + ".jsonl");
    WriteFuseInput(p, 150 + 97 * f, 100 + f, 10000 * f);
    inputs += " " + p;
  }
  std::string log;
  for (const char* by : {"rows", "files"}) {
    const std::string common = Cli() + " fuse" + inputs + " --method concat -q --chunk-rows 70 --shard-unit 64 --shard-by " + by;
    const std::string ref = dir.File(std::string("ref-") + by + ".jsonl");
    ASSERT_EQ(RunCommand(common + " -o " + ref, &log), 0) << log;
    for (int n = 1; n <= 4; ++n) {
      SCOPED_TRACE(std::string(by) + " N=" + std::to_string(n));
      const std::string out = dir.File(std::string("out-") + by + "-" + std::to_string(n) + ".jsonl");
      for (int i = n - 1; i >= 0; --i) {
        ASSERT_EQ(RunCommand(common + " -o " + out + " --shard " + std::to_string(i) + "/" + std::to_string(n), &log), 0) << log;
      }
      if (n == 1) {
        EXPECT_EQ(ReadFile(out), ReadFile(ref));
        continue;
      }
      EXPECT_FALSE(Exists(out));
      EXPECT_TRUE(Exists(dir.File(std::string("out-") + by + "-" + std::to_string(n) + ".shard-00001-of-0000" +
                                  std::to_string(n) + ".jsonl.summary.json")));
      ASSERT_EQ(RunCommand(Cli() + " merge " + out + " -q", &log), 0) << log;
      EXPECT_EQ(ReadFile(out), ReadFile(ref));
      EXPECT_EQ(ReadFile(out + ".rejects.jsonl"), ReadFile(ref + ".rejects.jsonl"));
      auto merged = nlohmann::json::parse(ReadFile(out + ".summary.json"));
      auto single = nlohmann::json::parse(ReadFile(ref + ".summary.json"));
      EXPECT_EQ(merged["written"], single["written"]);
      EXPECT_EQ(merged["rejected"], single["rejected"]);
      EXPECT_EQ(merged["units"], single["units"]);
      // -o MERGED elsewhere, and a Parquet merge of JSONL shards is row for row the same.
      ASSERT_EQ(RunCommand(Cli() + " merge " + out + " -q -o " + dir.File("m.jsonl"), &log), 0) << log;
      EXPECT_EQ(ReadFile(dir.File("m.jsonl")), ReadFile(ref));
    }
  }
}

TEST(FuseShardTest, MergeListsMissingAndIncompleteShardsAndWritesNothing) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 3000, 1);
  const std::string out = dir.File("f.jsonl");
  const std::string common = Cli() + " fuse " + dir.File("in.jsonl") + " --method concat -q -o " + out;
  std::string log;
  ASSERT_EQ(RunCommand(common + " --shard 0/4", &log), 0) << log;
  EXPECT_EQ(RunCommand(Cli() + " merge " + out, &log), 1);
  EXPECT_NE(log.find("shards 1, 2, 3 of 4 are missing; nothing written"), std::string::npos) << log;
  ASSERT_EQ(RunCommand(common + " --shard 2/4", &log), 0) << log;
  EXPECT_EQ(RunCommand(Cli() + " merge " + out, &log), 1);
  EXPECT_NE(log.find("shards 1, 3 of 4 are missing; nothing written"), std::string::npos) << log;

  // Shard 1 stopped part way: its work dir holds some committed rows.
  const auto args = SplitArgs(common + " --shard 1/4 --chunk-rows 5");
  const std::string s1 = dir.File("f.shard-00001-of-00004.jsonl");
  for (int delay = 20; delay < 3000 && !Exists(s1 + ".work/manifest.json"); delay *= 2) {
    RunAndSignal(args, dir.File("log"), delay, SIGKILL);
  }
  ASSERT_FALSE(Exists(s1 + ".summary.json")) << "the shard finished before it could be stopped";
  auto manifest = nlohmann::json::parse(ReadFile(s1 + ".work/manifest.json"));
  uint64_t committed = 0;
  for (const auto& c : manifest["chunks"]) committed += c["rows"].get<uint64_t>();
  EXPECT_EQ(RunCommand(Cli() + " merge " + out, &log), 1);
  EXPECT_NE(log.find("shard 3 of 4 is missing; shard 1 is incomplete (" + std::to_string(committed) +
                     " of ? rows); nothing written"),
            std::string::npos)
      << log;
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".summary.json"));

  // Once every shard is done, the merge goes through.
  ASSERT_EQ(RunCommand(common + " --shard 1/4", &log), 0) << log;
  ASSERT_EQ(RunCommand(common + " --shard 3/4", &log), 0) << log;
  ASSERT_EQ(RunCommand(Cli() + " merge " + out + " -q", &log), 0) << log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method concat -q -o " + dir.File("ref.jsonl"), &log), 0)
      << log;
  EXPECT_EQ(ReadFile(out), ReadFile(dir.File("ref.jsonl")));

  // A shard made with other settings is refused by name.
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method raw -q --overwrite -o " + out + " --shard 2/4", &log), 0) << log;
  EXPECT_EQ(RunCommand(Cli() + " merge " + out + " -o " + dir.File("x.jsonl"), &log), 1);
  EXPECT_NE(log.find("shard 2 was made with other settings than shard 0: method"), std::string::npos) << log;
  EXPECT_FALSE(Exists(dir.File("x.jsonl")));
}

// The shard comes from the environment when no --shard is given.
TEST(FuseShardTest, ShardFromTheEnvironment) {
  TempDir dir;
  WriteFuseInput(dir.File("in.jsonl"), 500, 4);
  std::string log;
  const std::string fuse = Cli() + " fuse " + dir.File("in.jsonl") + " --method concat -q --shard-unit 50 -o " + dir.File("e.jsonl");
  ASSERT_EQ(RunCommand("env SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 " + fuse, &log), 0) << log;
  EXPECT_TRUE(Exists(dir.File("e.shard-00001-of-00002.jsonl")));
  ASSERT_EQ(RunCommand("env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 " + fuse, &log), 0) << log;
  ASSERT_EQ(RunCommand(Cli() + " merge " + dir.File("e.jsonl") + " -q", &log), 0) << log;
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " --method concat -q -o " + dir.File("r.jsonl"), &log), 0);
  EXPECT_EQ(ReadFile(dir.File("e.jsonl")), ReadFile(dir.File("r.jsonl")));
  EXPECT_EQ(RunCommand("env JOB_COMPLETION_INDEX=3 " + fuse, &log), 1);
  EXPECT_NE(log.find("--shard-count"), std::string::npos) << log;
}

}  // namespace
}  // namespace capsfusion
