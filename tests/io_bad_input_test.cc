// Bad input never crashes and never costs another row: each case gives exact
// reject counts, origins and reasons, and every other row comes through.
#include <gtest/gtest.h>

#include <random>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

const char kGood1[] = "{\"laion_2b\": \"good one\", \"laion_coco\": \"fine\"}";
const char kGood2[] = "{\"laion_2b\": \"good two\", \"laion_coco\": \"fine\"}";

TEST(IoBadInputTest, JsonlBadLinesAreRejectedOneByOne) {
  TempDir dir;
  std::string path = dir.File("bad.jsonl");
  WriteFile(path, std::string(kGood1) + "\n" +
                      "{\"laion_2b\": \"x\", \"laion_coco\": }\n" +           // 2 malformed
                      "{\"laion_2b\": \"x\"}\n" +                             // 3 missing synthetic
                      "{\"laion_2b\": 5, \"laion_coco\": \"y\"}\n" +          // 4 non-string raw
                      "{\"laion_2b\": \"caf\xC3\", \"laion_coco\": \"y\"}\n" +  // 5 invalid UTF-8
                      "[1, 2]\n" +                                            // 6 not an object
                      "{\"laion_2b\": \"x\", \"laion_coco\": \"y\"} trailing\n" +  // 7 trailing data
                      "{\"laion_2b\": \"x\", \"laion_coco\": \"y\"\n" +       // 8 cut
                      "not json at all\n" +                                   // 9
                      std::string("{\"laion_2b\": \"nul\0byte\", \"laion_coco\": \"y\"}\n", 44) +  // 10 raw NUL
                      kGood2 + "\n");
  auto r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].raw, "good one");
  EXPECT_EQ(r.records[1].raw, "good two");
  EXPECT_EQ(r.records[1].origin, path + ":11");
  EXPECT_EQ(r.records[1].index, 10u);
  ASSERT_EQ(r.rejects.size(), 9u);
  for (size_t i = 0; i < r.rejects.size(); ++i) {
    EXPECT_EQ(r.rejects[i].origin, path + ":" + std::to_string(i + 2));
    EXPECT_EQ(r.rejects[i].reason.find('\n'), std::string::npos);
    EXPECT_FALSE(r.rejects[i].text.empty());
  }
  EXPECT_EQ(r.rejects[0].reason, "invalid JSON at byte 32 of the line: unexpected character '}'");
  EXPECT_EQ(r.rejects[1].reason, "missing field laion_coco");
  EXPECT_EQ(r.rejects[2].reason, "field laion_2b is a number, not a string");
  EXPECT_EQ(r.rejects[3].reason, "invalid UTF-8 at byte 17 of the line");
  EXPECT_EQ(r.rejects[4].reason, "the line is an array, not a JSON object");
  EXPECT_EQ(r.rejects[5].reason, "invalid JSON at byte 37 of the line: data after the object");
  EXPECT_EQ(r.rejects[6].reason, "invalid JSON: the line ends inside a value");
  EXPECT_EQ(r.rejects[8].reason.rfind("invalid JSON at byte 17 of the line: unescaped control byte 0x00", 0), 0u)
      << r.rejects[8].reason;
}

TEST(IoBadInputTest, InvalidUtf8InCsvNamesTheByte) {
  TempDir dir;
  WriteFile(dir.File("u.csv"), "laion_2b,laion_coco\nok,fine\nab\xE2\x82,x\nok2,fine\n");
  auto r = ReadAll(dir.File("u.csv"));
  EXPECT_EQ(r.records.size(), 2u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].reason, "invalid UTF-8 at byte 2 of the row");
  EXPECT_EQ(r.rejects[0].origin, dir.File("u.csv") + ":3");
}

TEST(IoBadInputTest, TenMegabyteFieldIsOverMaxFieldBytes) {
  TempDir dir;
  std::string big(10 << 20, 'w');
  for (const char* fmt : {"jsonl", "json", "csv"}) {
    std::string path = dir.File(std::string("big.") + fmt);
    std::string text;
    if (std::string(fmt) == "jsonl") {
      text = std::string(kGood1) + "\n{\"laion_2b\": \"" + big + "\", \"laion_coco\": \"y\"}\n" + kGood2 + "\n";
    } else if (std::string(fmt) == "json") {
      text = std::string("[") + kGood1 + ",\n{\"laion_2b\": \"" + big + "\", \"laion_coco\": \"y\"},\n" + kGood2 + "]";
    } else {
      text = "laion_2b,laion_coco\ngood one,fine\n" + big + ",y\ngood two,fine\n";
    }
    WriteFile(path, text);
    auto r = ReadAll(path);
    ASSERT_TRUE(r.status.ok()) << fmt << ": " << r.status.ToString();
    ASSERT_EQ(r.records.size(), 2u) << fmt;
    EXPECT_EQ(r.records[1].raw, "good two") << fmt;
    ASSERT_EQ(r.rejects.size(), 1u) << fmt;
    EXPECT_NE(r.rejects[0].reason.find("over max_field_bytes (1048576)"), std::string::npos) << r.rejects[0].reason;
    EXPECT_LE(r.rejects[0].text.size(), 1100u);
  }
}

TEST(IoBadInputTest, OverLongRowsAreSkippedInAStreamingWay) {
  TempDir dir;
  ReaderOptions opt;
  opt.max_row_bytes = 64 << 10;  // 64 KiB; the long rows are 3 MiB
  std::string huge(3 << 20, 'z');
  struct Case {
    std::string name, text;
  };
  const Case cases[] = {
      {"l.jsonl", std::string(kGood1) + "\n{\"laion_2b\": \"" + huge + "\"}\n" + kGood2 + "\n"},
      {"l2.jsonl", std::string(kGood1) + "\n" + huge + "\n" + kGood2},  // not even JSON
      {"l.json", std::string("[") + kGood1 + ", {\"laion_2b\": \"" + huge + "\", \"x\": [[{}]]}, " + kGood2 + "]"},
      {"l2.json", std::string("[") + kGood1 + ", [\"" + huge + "\"], " + kGood2 + "]"},
      {"l.csv", "laion_2b,laion_coco\ngood one,fine\n" + huge + ",x\ngood two,fine\n"},
      {"l.tsv", "laion_2b\tlaion_coco\ngood one\tfine\n\"" + huge + "\"\tx\ngood two\tfine\n"},
  };
  for (const Case& c : cases) {
    WriteFile(dir.File(c.name), c.text);
    auto r = ReadAll(dir.File(c.name), opt);
    ASSERT_TRUE(r.status.ok()) << c.name << ": " << r.status.ToString();
    ASSERT_EQ(r.records.size(), 2u) << c.name;
    EXPECT_EQ(r.records[1].raw, "good two") << c.name;
    EXPECT_EQ(r.records[1].index, 2u) << c.name;
    ASSERT_EQ(r.rejects.size(), 1u) << c.name;
    EXPECT_NE(r.rejects[0].reason.find("max_row_bytes"), std::string::npos) << c.name << ": " << r.rejects[0].reason;
    EXPECT_LE(r.rejects[0].text.size(), 1100u) << c.name;
  }
}

TEST(IoBadInputTest, RowsOverASmallRowLimitAreRejectedEvenInsideTheWindow) {
  TempDir dir;
  ReaderOptions opt;
  opt.max_row_bytes = 60;
  const std::string longer = "{\"laion_2b\": \"" + std::string(80, 'q') + "\", \"laion_coco\": \"y\"}";
  WriteFile(dir.File("s.jsonl"), std::string(kGood1) + "\n" + longer + "\n" + kGood2 + "\n");
  WriteFile(dir.File("s.json"), std::string("[") + kGood1 + ",\n" + longer + ",\n" + kGood2 + "]");
  WriteFile(dir.File("s.csv"), "laion_2b,laion_coco\ngood one,fine\n" + std::string(80, 'q') + ",y\ngood two,fine\n");
  for (const char* name : {"s.jsonl", "s.json", "s.csv"}) {
    auto r = ReadAll(dir.File(name), opt);
    ASSERT_TRUE(r.status.ok()) << name;
    EXPECT_EQ(r.records.size(), 2u) << name;
    ASSERT_EQ(r.rejects.size(), 1u) << name;
    EXPECT_NE(r.rejects[0].reason.find("over max_row_bytes (60)"), std::string::npos) << r.rejects[0].reason;
    EXPECT_EQ(r.rejects[0].origin, dir.File(name) + (std::string(name) == "s.csv" ? ":3" : ":2")) << name;
  }
}

TEST(IoBadInputTest, EmptyFilesGiveNoRecordsAndNoError) {
  TempDir dir;
  for (const char* name : {"e.json", "e.jsonl", "e.csv", "e.tsv", "e.dat"}) {
    WriteFile(dir.File(name), "");
    auto r = ReadAll(dir.File(name));
    EXPECT_TRUE(r.open_status.ok()) << name;
    EXPECT_TRUE(r.status.ok()) << name;
    EXPECT_EQ(r.records.size() + r.rejects.size(), 0u) << name;
  }
  WriteFile(dir.File("e.jsonl.gz"), testing::Gzip(""));
  auto r = ReadAll(dir.File("e.jsonl.gz"));
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.records.size(), 0u);
}

// Random damage to valid files of each format: no crash, no hang, and every
// row index is accounted for exactly once (records + rejects are in order).
TEST(IoBadInputTest, RandomDamageNeverCrashes) {
  TempDir dir;
  std::string jsonl, json = "[", csv = "laion_2b,laion_coco,n\n";
  for (int i = 0; i < 40; ++i) {
    jsonl += "{\"laion_2b\": \"r\\u00e9 " + std::to_string(i) + " &amp;\", \"laion_coco\": \"s\", \"n\": [1, {\"a\": null}]}\n";
    json += std::string(i ? ",\n" : "") + "{\"laion_2b\": \"r " + std::to_string(i) + "\", \"laion_coco\": \"s\"}";
    csv += "\"r, " + std::to_string(i) + "\",\"s\"\"x\",1\n";
  }
  json += "]";
  std::mt19937 rng(12345);
  const char kNasty[] = "\"\\{}[],:\n\r\t\0\xFF\xC3 ";
  int runs = 0;
  for (const std::string* base : {&jsonl, &json, &csv}) {
    const char* ext = base == &jsonl ? ".jsonl" : base == &json ? ".json" : ".csv";
    for (int trial = 0; trial < 150; ++trial) {
      std::string text = *base;
      int edits = 1 + static_cast<int>(rng() % 6);
      for (int e = 0; e < edits; ++e) {
        size_t at = rng() % text.size();
        switch (rng() % 4) {
          case 0: text[at] = kNasty[rng() % (sizeof kNasty - 1)]; break;
          case 1: text.insert(at, 1, kNasty[rng() % (sizeof kNasty - 1)]); break;
          case 2: text.erase(at, 1 + rng() % 20); break;
          case 3: text.resize(at); break;
        }
        if (text.empty()) text = "x";
      }
      std::string path = dir.File("fuzz" + std::to_string(trial) + ext);
      WriteFile(path, text);
      ReaderOptions opt;
      opt.max_row_bytes = 1 + rng() % 400;
      auto r = ReadAll(path, opt);
      ASSERT_TRUE(r.open_status.ok());
      for (const Reject& rej : r.rejects) {
        EXPECT_EQ(rej.origin.rfind(path + ":", 0), 0u);
        EXPECT_EQ(rej.reason.find('\n'), std::string::npos);
      }
      for (size_t i = 1; i < r.records.size(); ++i) EXPECT_LT(r.records[i - 1].index, r.records[i].index);
      ++runs;
    }
  }
  EXPECT_EQ(runs, 450);
}

}  // namespace
}  // namespace capsfusion
