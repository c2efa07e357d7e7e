// The shared CapsFusion dev set (../shared/data/capsfusion/dev.json), when present.
#include <gtest/gtest.h>

#include <set>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

TEST(IoDevDataTest, ReadsTheReleaseDevSet) {
  const std::string path = testing::SharedData("capsfusion/dev.json");
  if (path.empty()) GTEST_SKIP() << testing::SharedMissing("capsfusion/dev.json");
  ReaderOptions opt;
  opt.fields.references = {"capsfuion_official"};
  opt.require_references = true;
  auto r = testing::ReadAll(path, opt);
  ASSERT_TRUE(r.open_status.ok()) << r.open_status.ToString();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.rejects.size(), 0u);
  ASSERT_EQ(r.records.size(), 1000u);
  std::set<std::string> ids;
  size_t with_entities = 0;
  for (const Record& rec : r.records) {
    ASSERT_EQ(rec.fields.size(), 3u);
    EXPECT_EQ(rec.fields[0].name, "laion_2b");
    EXPECT_EQ(rec.fields[2].name, "capsfuion_official");
    EXPECT_FALSE(rec.synthetic.empty());
    EXPECT_FALSE(rec.references[0].empty());
    EXPECT_EQ(rec.raw.find("  "), std::string::npos);
    EXPECT_TRUE(rec.id_generated);
    ids.insert(rec.id);
    if (rec.fields[0].json.find("&quot;") != std::string::npos) {
      ++with_entities;
      EXPECT_EQ(rec.raw.find("&quot;"), std::string::npos);
    }
  }
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_GE(with_entities, 1u);
  EXPECT_EQ(r.records[0].raw, "Todd-Snyder-Fall-2017-mens-fashion-show-backstage-the-impression-109");
  EXPECT_EQ(r.records[0].id, "75b51c534a62f52f");  // XXH64 of the row, checked with the xxHash library
  EXPECT_EQ(r.records[999].index, 999u);

  // Round trip through JSONL keeps every byte of every field.
  testing::TempDir dir;
  auto w = RecordWriter::Open(dir.File("dev.jsonl.zst"), WriterOptions());
  ASSERT_TRUE(w.ok());
  for (const Record& rec : r.records) ASSERT_TRUE((*w)->Write(rec).ok());
  ASSERT_TRUE((*w)->Close().ok());
  auto back = testing::ReadAll(dir.File("dev.jsonl.zst"), opt);
  ASSERT_EQ(back.records.size(), 1000u);
  for (size_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(back.records[i].id, r.records[i].id);
    EXPECT_EQ(back.records[i].fields[1].json, r.records[i].fields[1].json);
  }
}

}  // namespace
}  // namespace capsfusion
