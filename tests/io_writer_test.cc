// Writers: round trips through every format, CSV quoting, the rejects file,
// and write errors returned as Status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io_test_helpers.h"
#include "test_util.h"

namespace capsfusion {
namespace {

using testing::ReadAll;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

std::vector<Record> SampleRecords() {
  TempDir dir;
  WriteFile(dir.File("s.jsonl"),
            "{\"laion_2b\": \"Nike &amp; Co, \\\"Air\\\"\\nMax\", \"laion_coco\": \"a\\tshoe\", \"n\": 1.50e3, "
            "\"tags\": [1, \"a\"], \"ok\": true, \"u\": \"caf\\u00e9 \xE6\x97\xA5\"}\n"
            "{\"laion_2b\": \"plain\", \"laion_coco\": \"text\", \"n\": -2, \"tags\": [], \"ok\": false, "
            "\"u\": \"\"}\n");
  return ReadAll(dir.File("s.jsonl")).records;
}

void WriteAll(const std::string& path, const std::vector<Record>& records, WriterOptions opt = WriterOptions()) {
  auto w = RecordWriter::Open(path, opt);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const Record& r : records) ASSERT_TRUE((*w)->Write(r).ok());
  ASSERT_TRUE((*w)->Close().ok());
}

TEST(IoWriterTest, JsonFormatsRoundTripFieldsVerbatim) {
  std::vector<Record> in = SampleRecords();
  ASSERT_EQ(in.size(), 2u);
  TempDir dir;
  for (const char* name : {"o.jsonl", "o.json", "o.jsonl.gz", "o.jsonl.zst", "o.json.gz"}) {
    WriteAll(dir.File(name), in);
    auto back = ReadAll(dir.File(name));
    ASSERT_TRUE(back.status.ok()) << name << ": " << back.status.ToString();
    ASSERT_EQ(back.records.size(), in.size()) << name;
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_EQ(back.records[i].fields.size(), in[i].fields.size()) << name;
      for (size_t f = 0; f < in[i].fields.size(); ++f) {
        EXPECT_EQ(back.records[i].fields[f].name, in[i].fields[f].name) << name;
        EXPECT_EQ(back.records[i].fields[f].json, in[i].fields[f].json) << name;
      }
      EXPECT_EQ(back.records[i].raw, in[i].raw) << name;
      EXPECT_EQ(back.records[i].synthetic, in[i].synthetic) << name;
      EXPECT_EQ(back.records[i].id, in[i].id) << name;
    }
  }
  // Compressed output is really compressed.
  std::string gz = ReadFile(dir.File("o.jsonl.gz"));
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  std::string zst = ReadFile(dir.File("o.jsonl.zst"));
  EXPECT_EQ(static_cast<unsigned char>(zst[0]), 0x28);
  EXPECT_EQ(ReadFile(dir.File("o.json")).substr(0, 2), "[\n");
}

TEST(IoWriterTest, CsvAndTsvRoundTripCellText) {
  std::vector<Record> in = SampleRecords();
  TempDir dir;
  for (const char* name : {"o.csv", "o.tsv", "o.csv.zst"}) {
    WriteAll(dir.File(name), in);
    auto back = ReadAll(dir.File(name));
    ASSERT_TRUE(back.status.ok()) << name;
    ASSERT_EQ(back.records.size(), in.size()) << name;
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(back.records[i].raw, in[i].raw) << name;
      EXPECT_EQ(back.records[i].synthetic, in[i].synthetic) << name;
      // Strings come back as the same JSON strings; other values as strings of their JSON text.
      EXPECT_EQ(back.records[i].Find("laion_2b")->json, in[i].Find("laion_2b")->json) << name;
      EXPECT_EQ(back.records[i].Find("u")->json, "\"" + std::string(i == 0 ? "caf\xC3\xA9 \xE6\x97\xA5" : "") + "\"");
      EXPECT_EQ(back.records[i].Find("n")->json, JsonString(in[i].Find("n")->json)) << name;
      EXPECT_EQ(back.records[i].Find("tags")->json, JsonString(in[i].Find("tags")->json)) << name;
    }
  }
  EXPECT_EQ(ReadFile(dir.File("o.csv")),
            "laion_2b,laion_coco,n,tags,ok,u\n"
            "\"Nike &amp; Co, \"\"Air\"\"\nMax\",a\tshoe,1.50e3,\"[1, \"\"a\"\"]\",true,caf\xC3\xA9 \xE6\x97\xA5\n"
            "plain,text,-2,[],false,\n");
  EXPECT_EQ(ReadFile(dir.File("o.tsv")).substr(0, 37), "laion_2b\tlaion_coco\tn\ttags\tok\tu\n\"Nike");
}

TEST(IoWriterTest, CsvColumnsOptionSelectsAndOrders) {
  std::vector<Record> in = SampleRecords();
  TempDir dir;
  WriterOptions opt;
  opt.columns = {"ok", "laion_coco", "missing"};
  WriteAll(dir.File("c.csv"), in, opt);
  EXPECT_EQ(ReadFile(dir.File("c.csv")), "ok,laion_coco,missing\ntrue,a\tshoe,\nfalse,text,\n");
  // A header even with no rows when the columns are given.
  WriteAll(dir.File("none.csv"), {}, opt);
  EXPECT_EQ(ReadFile(dir.File("none.csv")), "ok,laion_coco,missing\n");
  WriteAll(dir.File("none.json"), {});
  EXPECT_EQ(ReadFile(dir.File("none.json")), "[]\n");
  // An explicit format wins over the name.
  WriterOptions tsv;
  tsv.format = Format::kTsv;
  WriteAll(dir.File("x.out"), {in[1]}, tsv);
  EXPECT_EQ(ReadFile(dir.File("x.out")).substr(0, 9), "laion_2b\t");
}

TEST(IoWriterTest, AddedFieldsAreWritten) {
  std::vector<Record> in = SampleRecords();
  in[0].SetString("capsfusion", "A fused \"caption\".");
  TempDir dir;
  WriteAll(dir.File("f.jsonl"), {in[0]});
  std::string text = ReadFile(dir.File("f.jsonl"));
  EXPECT_NE(text.find(",\"capsfusion\":\"A fused \\\"caption\\\".\"}\n"), std::string::npos) << text;
  Record empty_value;
  empty_value.fields.push_back(Field{"x", ""});
  auto w = RecordWriter::Open(dir.File("g.jsonl"), WriterOptions());
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE((*w)->Write(empty_value).ok());
  EXPECT_TRUE((*w)->Close().ok());
  EXPECT_EQ(ReadFile(dir.File("g.jsonl")), "");
}

TEST(IoWriterTest, RejectWriterCreatesItsFileOnFirstReject) {
  TempDir dir;
  std::string path = dir.File("rejects.jsonl");
  {
    RejectWriter rw(path);
    EXPECT_TRUE(rw.Close().ok());
  }
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0);
  {
    RejectWriter rw(path);
    ASSERT_TRUE(rw.Write(Reject{"in.jsonl:3", "missing field laion_coco", "{\"laion_2b\": \"a\"}"}).ok());
    ASSERT_TRUE(rw.Write(Reject{"in.csv:9", "expected 2 columns, got 1", "tab\there\n"}).ok());
    EXPECT_EQ(rw.count(), 2u);
  }  // the destructor closes
  EXPECT_EQ(ReadFile(path),
            "{\"origin\":\"in.jsonl:3\",\"reason\":\"missing field laion_coco\",\"text\":\"{\\\"laion_2b\\\": \\\"a\\\"}\"}\n"
            "{\"origin\":\"in.csv:9\",\"reason\":\"expected 2 columns, got 1\",\"text\":\"tab\\there\\n\"}\n");
  // The rejects file is itself readable JSONL.
  ReaderOptions opt;
  opt.fields.raw = "reason";
  opt.fields.synthetic = "text";
  EXPECT_EQ(ReadAll(path, opt).records.size(), 2u);
}

TEST(IoWriterTest, DiskFullIsAStatus) {
  struct stat st;
  if (stat("/dev/full", &st) != 0) GTEST_SKIP() << "no /dev/full";
  std::vector<Record> in = SampleRecords();
  for (const char* fmt : {"jsonl", "csv"}) {
    WriterOptions opt;
    opt.format = *ParseFormat(fmt);
    auto w = RecordWriter::Open("/dev/full", opt);
    ASSERT_TRUE(w.ok());
    Status s;
    // Small writes are buffered: the error shows at the latest on Close().
    for (int i = 0; i < 20000 && s.ok(); ++i) s = (*w)->Write(in[0]);
    Status c = (*w)->Close();
    Status first = s.ok() ? c : s;
    ASSERT_FALSE(first.ok()) << fmt;
    EXPECT_EQ(first.code(), Status::Code::kIOError);
    EXPECT_NE(first.message().find("No space left"), std::string::npos) << first.message();
    EXPECT_FALSE(c.ok());
  }
  RejectWriter rw("/dev/full");
  Status s = rw.Write(Reject{"a:1", "r", "t"});
  EXPECT_FALSE(rw.Close().ok());
}

TEST(IoWriterTest, ClosedPipeIsAStatusNotASignal) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);  // nobody reads
  std::string path = "/dev/fd/" + std::to_string(fds[1]);
  auto w = RecordWriter::Open(path, WriterOptions());
  close(fds[1]);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::vector<Record> in = SampleRecords();
  ASSERT_TRUE((*w)->Write(in[0]).ok());  // buffered
  Status c = (*w)->Close();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("Broken pipe"), std::string::npos) << c.message();
}

TEST(IoWriterTest, CannotCreateIsAStatus) {
  auto w = RecordWriter::Open("/nonexistent-dir/x.jsonl", WriterOptions());
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace capsfusion
