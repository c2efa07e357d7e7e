// JSON array reading (the CapsFusion release format), streamed element by element.
#include <gtest/gtest.h>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteFile;

TEST(IoJsonArrayTest, ReleaseLayoutWithMisspelledReferenceKey) {
  TempDir dir;
  std::string path = dir.File("release.json");
  WriteFile(path,
            "[{\"laion_2b\": \"Greenville, Maine Real Photo Postcard:  Sanders Store & Mobil\", "
            "\"laion_coco\": \"An old photo.\", \"capsfuion_official\": \"An old  real photo postcard.\"}, "
            "{\"laion_2b\": \"Jr. &quot;A&quot; Championship\", \"laion_coco\": \"Hockey players.\", "
            "\"capsfuion_official\": \"A hockey game.\"}]");
  ReaderOptions opt;
  opt.fields.references = {"capsfuion_official"};
  auto r = ReadAll(path, opt);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].raw, "Greenville, Maine Real Photo Postcard: Sanders Store & Mobil");
  EXPECT_EQ(r.records[0].references[0], "An old real photo postcard.");
  EXPECT_EQ(r.records[1].raw, "Jr. \"A\" Championship");
  EXPECT_EQ(r.records[1].synthetic, "Hockey players.");
  EXPECT_EQ(r.records[1].fields[2].name, "capsfuion_official");
  EXPECT_EQ(r.records[1].origin, path + ":1");
  EXPECT_EQ(r.records[1].index, 1u);
}

TEST(IoJsonArrayTest, PrettyPrintedOriginsAreElementStartLines) {
  TempDir dir;
  WriteFile(dir.File("p.json"),
            "[\n"
            "  {\n"
            "    \"laion_2b\": \"a\",\n"
            "    \"laion_coco\": \"b\"\n"
            "  },\n"
            "  {\"laion_2b\": \"c\", \"laion_coco\": \"d\"},\n"
            "\n"
            "  {\"laion_2b\": \"e\",\n \"laion_coco\": \"f\", \"n\": [1,\n2]}\n"
            "]\n");
  auto r = ReadAll(dir.File("p.json"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].origin, dir.File("p.json") + ":2");
  EXPECT_EQ(r.records[1].origin, dir.File("p.json") + ":6");
  EXPECT_EQ(r.records[2].origin, dir.File("p.json") + ":8");
  EXPECT_EQ(r.records[2].Find("n")->json, "[1,\n2]");
}

TEST(IoJsonArrayTest, EmptyInputsAreEmptyDatasets) {
  TempDir dir;
  for (const char* text : {"", "  \n", "[]", " [ \n ] \n"}) {
    WriteFile(dir.File("e.json"), text);
    auto r = ReadAll(dir.File("e.json"));
    EXPECT_TRUE(r.open_status.ok()) << text;
    EXPECT_TRUE(r.status.ok()) << text << ": " << r.status.ToString();
    EXPECT_EQ(r.records.size() + r.rejects.size(), 0u) << text;
  }
}

TEST(IoJsonArrayTest, BadElementsAreRejectedAndTheRestKept) {
  TempDir dir;
  std::string path = dir.File("bad.json");
  WriteFile(path,
            "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"},\n"
            " 42,\n"
            " \"a string\",\n"
            " [1, {\"x\": 2}],\n"
            " {\"laion_2b\": \"no synthetic\"},\n"
            " {\"laion_2b\": 01, \"laion_coco\": \"malformed number\"},\n"
            " {\"laion_2b\": \"bad \xFF byte\", \"laion_coco\": \"x\"},\n"
            " {\"laion_2b\": \"c\", \"laion_coco\": \"d\"},\n"
            " nul,\n"
            " {\"laion_2b\": \"e\", \"laion_coco\": \"f\"}\n"
            "]");
  auto r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  ASSERT_EQ(r.rejects.size(), 7u);
  EXPECT_EQ(r.records[1].raw, "c");
  EXPECT_EQ(r.records[1].index, 7u);
  EXPECT_EQ(r.records[2].origin, path + ":10");
  EXPECT_EQ(r.rejects[0].origin, path + ":2");
  EXPECT_EQ(r.rejects[0].reason, "array element is a number, not an object");
  EXPECT_EQ(r.rejects[0].text, "42");
  EXPECT_EQ(r.rejects[1].reason, "array element is a string, not an object");
  EXPECT_EQ(r.rejects[2].reason, "array element is an array, not an object");
  EXPECT_EQ(r.rejects[3].reason, "missing field laion_coco");
  EXPECT_EQ(r.rejects[4].origin, path + ":6");
  EXPECT_EQ(r.rejects[4].reason.rfind("invalid JSON at byte 14 of the array element", 0), 0u) << r.rejects[4].reason;
  EXPECT_EQ(r.rejects[5].reason, "invalid UTF-8 at byte 18 of the array element");
  EXPECT_EQ(r.rejects[5].text.find('\xFF'), std::string::npos);  // reject text is valid UTF-8
  EXPECT_EQ(r.rejects[6].origin, path + ":9");
}

TEST(IoJsonArrayTest, TruncatedArrayKeepsEarlierRowsAndNamesThePlace) {
  TempDir dir;
  std::string path = dir.File("cut.json");
  WriteFile(path,
            "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"},\n"
            " {\"laion_2b\": \"c\", \"laion_coco\": \"d\"},\n"
            " {\"laion_2b\": \"e\", \"laion_co");
  auto r = ReadAll(path);
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.rejects.size(), 0u);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), Status::Code::kCorruption);
  EXPECT_NE(r.status.message().find(path + ":3"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("truncated JSON array"), std::string::npos) << r.status.message();

  // Cut between elements: still fatal, rows kept.
  WriteFile(path, "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"},\n");
  r = ReadAll(path);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_FALSE(r.status.ok());
  WriteFile(path, "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"}");
  r = ReadAll(path);
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_FALSE(r.status.ok());
}

TEST(IoJsonArrayTest, BrokenStructureIsFatal) {
  TempDir dir;
  struct Case {
    const char* text;
    size_t records;
    const char* message;
  };
  const Case cases[] = {
      {"{\"laion_2b\": \"a\"} x", 0, "expected '['"},
      {"[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"} {\"laion_2b\": \"c\", \"laion_coco\": \"d\"}]", 1,
       "expected ',' or ']'"},
      {"[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"}]\n[]", 1, "after the end of the JSON array"},
      {"[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"}, {\"x\": [1}, {\"laion_2b\": \"c\", \"laion_coco\": \"d\"}]", 1,
       "mismatched"},
  };
  for (const Case& c : cases) {
    WriteFile(dir.File("s.json"), c.text);
    ReaderOptions opt;
    opt.format = Format::kJson;
    auto r = ReadAll(dir.File("s.json"), opt);
    EXPECT_EQ(r.records.size(), c.records) << c.text;
    ASSERT_FALSE(r.status.ok()) << c.text;
    EXPECT_NE(r.status.message().find(c.message), std::string::npos) << r.status.message();
    EXPECT_NE(r.status.message().find(dir.File("s.json") + ":"), std::string::npos) << r.status.message();
  }
}

TEST(IoJsonArrayTest, TrailingCommaIsAccepted) {
  TempDir dir;
  WriteFile(dir.File("t.json"), "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"},]");
  auto r = ReadAll(dir.File("t.json"));
  EXPECT_EQ(r.records.size(), 1u);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
}

TEST(IoJsonArrayTest, StreamsManyElementsAcrossBufferBoundaries) {
  // Elements of varying length so that element starts, numbers, escapes and
  // multi-byte characters fall on 256 KiB refill boundaries.
  TempDir dir;
  std::string text = "[";
  const int n = 30000;
  for (int i = 0; i < n; ++i) {
    if (i > 0) text += i % 7 == 0 ? ",\n" : ", ";
    text += "{\"laion_2b\": \"caf\xC3\xA9 \\\"" + std::string(static_cast<size_t>(i % 13), 'x') + "\\\" " +
            std::to_string(i) + "\", \"laion_coco\": \"\xE6\x97\xA5 " + std::to_string(i) +
            "\", \"score\": " + std::to_string(i) + "." + std::to_string(i % 10) + "e-1}";
  }
  text += "]";
  WriteFile(dir.File("big.json"), text);
  auto r = ReadAll(dir.File("big.json"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), static_cast<size_t>(n));
  EXPECT_EQ(r.rejects.size(), 0u);
  for (int i = 0; i < n; i += 1231) {
    const Record& rec = r.records[static_cast<size_t>(i)];
    EXPECT_EQ(rec.raw, "caf\xC3\xA9 \"" + std::string(static_cast<size_t>(i % 13), 'x') + "\" " + std::to_string(i));
    EXPECT_EQ(rec.Find("score")->json, std::to_string(i) + "." + std::to_string(i % 10) + "e-1");
  }
  EXPECT_EQ(r.bytes_read, text.size());
}

TEST(IoJsonArrayTest, NumberElementAtEndOfInput) {
  TempDir dir;
  WriteFile(dir.File("n.json"), "[{\"laion_2b\": \"a\", \"laion_coco\": \"b\"}, 12345]");
  auto r = ReadAll(dir.File("n.json"));
  EXPECT_EQ(r.records.size(), 1u);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_TRUE(r.status.ok());
}

}  // namespace
}  // namespace capsfusion
