// CSV and TSV reading: RFC 4180 quoting, headers, resynchronisation after bad rows.
#include <gtest/gtest.h>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

std::string Cell(const Record& r, const std::string& name) {
  const Field* f = r.Find(name);
  if (f == nullptr) return "<missing>";
  return f->json;
}

TEST(IoCsvTest, QuotingEdgeCases) {
  TempDir dir;
  std::string path = dir.File("q.csv");
  WriteFile(path,
            "id,laion_2b,laion_coco,extra\r\n"
            "1,plain,\"with, comma\",\"\"\r\n"
            "2,\"multi\nline\r\ncell\",\"she said \"\"hi\"\"\",\r\n"
            "3,a \"quote\" inside,\"\"\"\",x\r\n"
            "\r\n"
            "4,\"\",  spaced  ,\"tab\there\"\n"
            "5,last,row,\"no newline at end\"");
  ReaderOptions opt;
  opt.fields.id = "id";
  auto r = ReadAll(path, opt);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rejects.size(), 0u) << r.rejects[0].reason;
  ASSERT_EQ(r.records.size(), 5u);
  EXPECT_EQ(r.records[0].id, "1");
  EXPECT_EQ(r.records[0].synthetic, "with, comma");
  EXPECT_EQ(Cell(r.records[0], "extra"), "\"\"");
  EXPECT_EQ(Cell(r.records[1], "laion_2b"), "\"multi\\nline\\r\\ncell\"");
  EXPECT_EQ(r.records[1].raw, "multi line cell");
  EXPECT_EQ(r.records[1].synthetic, "she said \"hi\"");
  EXPECT_EQ(Cell(r.records[1], "extra"), "\"\"");  // trailing empty cell before CRLF
  EXPECT_EQ(r.records[2].raw, "a \"quote\" inside");
  EXPECT_EQ(r.records[2].synthetic, "\"");
  EXPECT_EQ(Cell(r.records[3], "laion_coco"), "\"  spaced  \"");
  EXPECT_EQ(Cell(r.records[3], "extra"), "\"tab\\there\"");
  EXPECT_EQ(Cell(r.records[4], "extra"), "\"no newline at end\"");
  EXPECT_EQ(r.records[0].origin, path + ":2");
  EXPECT_EQ(r.records[1].origin, path + ":3");
  EXPECT_EQ(r.records[2].origin, path + ":6");
  EXPECT_EQ(r.records[3].origin, path + ":8");
  EXPECT_EQ(r.records[4].origin, path + ":9");
}

TEST(IoCsvTest, TsvUsesTabs) {
  TempDir dir;
  WriteFile(dir.File("t.tsv"), "laion_2b\tlaion_coco\n\"a\tb\"\tc, d\n\"x\"\"y\"\tz\n");
  auto r = ReadAll(dir.File("t.tsv"));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(Cell(r.records[0], "laion_2b"), "\"a\\tb\"");
  EXPECT_EQ(r.records[0].raw, "a b");
  EXPECT_EQ(r.records[0].synthetic, "c, d");
  EXPECT_EQ(r.records[1].raw, "x\"y");
}

TEST(IoCsvTest, WrongColumnCountRejectsOnlyThatRow) {
  TempDir dir;
  std::string path = dir.File("c.csv");
  WriteFile(path, "laion_2b,laion_coco\na,b\nonly one\nc,d,e\n\"q,1\",\"q\n2\"\nf,g\n");
  auto r = ReadAll(path);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.records.size(), 3u);
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].origin, path + ":3");
  EXPECT_EQ(r.rejects[0].reason, "expected 2 columns, got 1");
  EXPECT_EQ(r.rejects[1].origin, path + ":4");
  EXPECT_EQ(r.rejects[1].reason, "expected 2 columns, got 3");
  EXPECT_EQ(r.records[1].synthetic, "q 2");
  EXPECT_EQ(r.records[2].origin, path + ":7");
  EXPECT_EQ(r.records[2].index, 4u);
}

TEST(IoCsvTest, BrokenQuoteRejectsTheRowAndResynchronises) {
  TempDir dir;
  std::string path = dir.File("b.csv");
  // Row 2 opens a quote that a later field's quote seems to close, followed by text.
  WriteFile(path,
            "laion_2b,laion_coco\n"
            "ok1,fine\n"
            "\"broken,x\n"
            "ok2,fine\n"
            "\"ok3\",\"fine\"\n"
            "\"bad\"tail,y\n"
            "ok4,fine\n");
  auto r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].origin, path + ":3");
  EXPECT_NE(r.rejects[0].reason.find("after a closing quote"), std::string::npos) << r.rejects[0].reason;
  EXPECT_EQ(r.rejects[0].text, "\"broken,x");
  EXPECT_EQ(r.rejects[1].origin, path + ":6");
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[0].raw, "ok1");
  EXPECT_EQ(r.records[1].raw, "ok2");
  EXPECT_EQ(r.records[1].origin, path + ":4");
  EXPECT_EQ(r.records[2].raw, "ok3");
  EXPECT_EQ(r.records[3].raw, "ok4");
  EXPECT_EQ(r.records[3].origin, path + ":7");
}

TEST(IoCsvTest, UnterminatedQuoteAtEndKeepsTheFollowingLines) {
  TempDir dir;
  std::string path = dir.File("u.csv");
  WriteFile(path, "laion_2b,laion_coco\na,b\n\"never closed,c\nd,e\nf,g\n");
  auto r = ReadAll(path);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].origin, path + ":3");
  EXPECT_NE(r.rejects[0].reason.find("never closed"), std::string::npos);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[1].raw, "d");
  EXPECT_EQ(r.records[2].origin, path + ":5");
}

TEST(IoCsvTest, UnterminatedQuoteOverRowLimitResynchronises) {
  TempDir dir;
  std::string path = dir.File("l.csv");
  std::string text = "laion_2b,laion_coco\n\"open,x\n";
  for (int i = 0; i < 200; ++i) text += "row" + std::to_string(i) + ",syn\n";
  WriteFile(path, text);
  ReaderOptions opt;
  opt.max_row_bytes = 256;
  auto r = ReadAll(path, opt);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_NE(r.rejects[0].reason.find("not closed within max_row_bytes"), std::string::npos);
  EXPECT_EQ(r.records.size(), 200u);
}

TEST(IoCsvTest, HeaderOnlyEmptyAndBadHeader) {
  TempDir dir;
  WriteFile(dir.File("h.csv"), "laion_2b,laion_coco\n");
  auto r = ReadAll(dir.File("h.csv"));
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.records.size() + r.rejects.size(), 0u);
  WriteFile(dir.File("e.csv"), "");
  r = ReadAll(dir.File("e.csv"));
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.records.size() + r.rejects.size(), 0u);
  WriteFile(dir.File("bad.csv"), "\"laion_2b,laion_coco\na,b\n");
  r = ReadAll(dir.File("bad.csv"));
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("bad CSV header"), std::string::npos) << r.status.message();
}

TEST(IoCsvTest, MissingCaptionColumnRejectsEveryRow) {
  TempDir dir;
  WriteFile(dir.File("m.csv"), "laion_2b,other\na,b\nc,d\n");
  auto r = ReadAll(dir.File("m.csv"));
  EXPECT_EQ(r.records.size(), 0u);
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[1].reason, "missing field laion_coco");
}

TEST(IoCsvTest, ManyRowsAcrossBufferBoundaries) {
  TempDir dir;
  std::string text = "laion_2b,laion_coco\n";
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    text += "\"raw, \"\"" + std::to_string(i) + "\"\"\nsecond line\",syn " + std::to_string(i) + "\n";
  }
  WriteFile(dir.File("big.csv"), text);
  auto r = ReadAll(dir.File("big.csv"));
  ASSERT_EQ(r.records.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; i += 1999) {
    EXPECT_EQ(r.records[static_cast<size_t>(i)].raw, "raw, \"" + std::to_string(i) + "\" second line");
    EXPECT_EQ(r.records[static_cast<size_t>(i)].origin, dir.File("big.csv") + ":" + std::to_string(2 + 2 * i));
  }
}

}  // namespace
}  // namespace capsfusion
