// WebDataset shards: the tar reader and writer, img2dataset's layout
// (KEY.jpg, KEY.txt, KEY.json), damaged and truncated shards (the bad member
// is reported, the rest read), and tar output that copies every member.
#include <gtest/gtest.h>

#include "io/output_stream.h"
#include "io_test_helpers.h"
#include "test_util.h"
#include "webdataset/tar_reader.h"
#include "webdataset/tar_writer.h"

namespace capsfusion::testing {
namespace {

struct Member {
  std::string name, data;
};

std::string MakeTar(const std::vector<Member>& members, const std::string& path) {
  auto out = io::OutputStream::Open(path);
  EXPECT_TRUE(out.ok());
  webdataset::TarWriter tar(out->get());
  for (const Member& m : members) EXPECT_TRUE(tar.Add(m.name, m.data, 1700000000).ok());
  EXPECT_TRUE(tar.Finish().ok());
  EXPECT_TRUE((*out)->Close().ok());
  return ReadFile(path);
}

std::vector<Member> Shard(int samples) {
  std::vector<Member> m;
  for (int i = 0; i < samples; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "%09d", i);
    std::string k = key;
    m.push_back({k + ".jpg", std::string(1000 + i * 37, static_cast<char>(i))});
    m.push_back({k + ".txt", "alt text &amp; " + std::to_string(i)});
    m.push_back({k + ".json", "{\"url\": \"http://x/" + std::to_string(i) + ".jpg\", \"key\": \"" + k +
                                  "\", \"width\": 64, \"blip\": \"a photo of " + std::to_string(i) + "\"}\n"});
  }
  return m;
}

ReaderOptions WdsOptions() {
  ReaderOptions o;
  o.fields.raw = "txt";
  o.fields.synthetic = "blip";
  return o;
}

TEST(TarFormat, RoundTripLongNamesAndSystemTar) {
  TempDir dir;
  std::string long_name = std::string(150, 'd') + "/" + std::string(120, 'n') + ".txt";
  MakeTar({{"a.txt", "hello"}, {long_name, "long"}, {"empty.bin", ""}}, dir.File("t.tar"));
  std::string out;
  ASSERT_EQ(RunCommand("tar tf '" + dir.File("t.tar") + "'", &out), 0) << out;
  EXPECT_NE(out.find(long_name), std::string::npos);
  auto in = io::InputStream::Open(dir.File("t.tar"));
  ASSERT_TRUE(in.ok());
  io::SourceBuffer src(std::move(*in));
  webdataset::TarReader r(&src, "t.tar");
  webdataset::TarMember m;
  std::string data;
  ASSERT_EQ(r.Next(&m), webdataset::TarReader::Result::kMember);
  EXPECT_EQ(m.name, "a.txt");
  ASSERT_EQ(r.Next(&m), webdataset::TarReader::Result::kMember);  // data of a.txt skipped
  EXPECT_EQ(m.name, long_name);
  ASSERT_TRUE(r.ReadData(100, &data));
  EXPECT_EQ(data, "long");
  ASSERT_EQ(r.Next(&m), webdataset::TarReader::Result::kMember);
  EXPECT_EQ(m.size, 0u);
  EXPECT_EQ(r.Next(&m), webdataset::TarReader::Result::kEnd);
  EXPECT_FALSE(r.truncated());
  std::string_view key, ext;
  ASSERT_TRUE(webdataset::SplitKey("dir/abc.seg.capsfusion.txt", &key, &ext));
  EXPECT_EQ(key, "dir/abc");
  EXPECT_EQ(ext, "seg.capsfusion.txt");
  EXPECT_FALSE(webdataset::SplitKey("dir.x/noext", &key, &ext));
}

TEST(WebDatasetReader, Img2datasetLayout) {
  TempDir dir;
  MakeTar(Shard(4), dir.File("00000.tar"));
  ReadResult got = ReadAll(dir.File("00000.tar"), WdsOptions());
  ASSERT_TRUE(got.open_status.ok()) << got.open_status.ToString();
  ASSERT_TRUE(got.status.ok());
  ASSERT_EQ(got.records.size(), 4u);
  const Record& r = got.records[2];
  EXPECT_EQ(r.Find("__key__")->json, "\"000000002\"");
  EXPECT_EQ(r.Find("__url__")->json, JsonString(dir.File("00000.tar")));
  EXPECT_EQ(r.raw, "alt text & 2");
  EXPECT_EQ(r.synthetic, "a photo of 2");
  EXPECT_EQ(r.Find("width")->json, "64");
  EXPECT_EQ(r.Find("jpg"), nullptr);
  EXPECT_EQ(r.origin, dir.File("00000.tar") + ":000000002");
  // The raw caption may come from a .json field instead; gzip shards and content sniffing work too.
  WriteFile(dir.File("shard.bin"), Gzip(ReadFile(dir.File("00000.tar"))));
  ReaderOptions o = WdsOptions();
  o.fields.raw = "url";
  ReadResult gz = ReadAll(dir.File("shard.bin"), o);
  ASSERT_EQ(gz.records.size(), 4u);
  EXPECT_EQ(gz.records[1].raw, "http://x/1.jpg");
}

TEST(WebDatasetReader, DamagedMembersAreRejectedAndTheRestRead) {
  TempDir dir;
  std::string tar = MakeTar(Shard(5), dir.File("ok.tar"));
  // Break the header of sample 2's .txt (the 8th member).
  webdataset::TarMember m;
  size_t offset = 0;
  {
    auto in = io::InputStream::Open(dir.File("ok.tar"));
    io::SourceBuffer src(std::move(*in));
    webdataset::TarReader r(&src, "ok.tar");
    for (int i = 0; i < 8; ++i) ASSERT_EQ(r.Next(&m), webdataset::TarReader::Result::kMember);
    offset = m.offset;
  }
  std::string bad = tar;
  bad[offset + 5] ^= 0x55;
  WriteFile(dir.File("bad.tar"), bad);
  ReadResult got = ReadAll(dir.File("bad.tar"), WdsOptions());
  EXPECT_TRUE(got.status.ok());
  ASSERT_EQ(got.rejects.size(), 2u);  // sample 2 that lost its .txt, then the damaged header
  EXPECT_NE(got.rejects[0].reason.find("missing field txt"), std::string::npos) << got.rejects[0].reason;
  EXPECT_NE(got.rejects[1].reason.find("damaged tar header"), std::string::npos) << got.rejects[1].reason;
  std::vector<std::string> keys;
  for (const Record& r : got.records) keys.push_back(r.Find("__key__")->json);
  EXPECT_EQ(keys, (std::vector<std::string>{"\"000000000\"", "\"000000001\"", "\"000000003\"", "\"000000004\""}));

  // A .json that is not an object rejects its sample only.
  auto members = Shard(3);
  members[5].data = "[1, 2]";
  MakeTar(members, dir.File("json.tar"));
  got = ReadAll(dir.File("json.tar"), WdsOptions());
  EXPECT_EQ(got.records.size(), 2u);
  ASSERT_EQ(got.rejects.size(), 1u);
  EXPECT_NE(got.rejects[0].reason.find("not a JSON object"), std::string::npos);

  // Truncated anywhere: the samples before the cut are read, the cut one is rejected, no crash.
  for (size_t cut = 0; cut < tar.size(); cut += 331) {
    WriteFile(dir.File("cut.tar"), tar.substr(0, cut));
    ReadResult r = ReadAll(dir.File("cut.tar"), WdsOptions());
    EXPECT_LE(r.records.size(), 5u);
  }
  WriteFile(dir.File("cut.tar"), tar.substr(0, tar.size() / 2 + 100));  // inside a block
  got = ReadAll(dir.File("cut.tar"), WdsOptions());
  EXPECT_GE(got.records.size(), 1u);
  ASSERT_FALSE(got.rejects.empty());
  EXPECT_NE(got.rejects.back().reason.find("truncated"), std::string::npos) << got.rejects.back().reason;
}

TEST(WebDatasetWriter, TarOutputCopiesEveryMemberAndAddsTheCaption) {
  TempDir dir;
  MakeTar(Shard(3), dir.File("in.tar"));
  ReadResult in = ReadAll(dir.File("in.tar"), WdsOptions());
  ASSERT_EQ(in.records.size(), 3u);
  auto w = RecordWriter::Open(dir.File("out.tar"), WriterOptions());
  ASSERT_TRUE(w.ok());
  for (size_t i = 0; i < in.records.size(); ++i) {
    if (i == 1) continue;  // a rejected sample is left out
    Record r = in.records[i];
    r.SetString("capsfusion", "fused " + std::to_string(i));
    ASSERT_TRUE((*w)->Write(r).ok());
  }
  ASSERT_TRUE((*w)->Close().ok());
  std::string out;
  ASSERT_EQ(RunCommand("tar tf '" + dir.File("out.tar") + "'", &out), 0);
  EXPECT_EQ(out,
            "000000000.jpg\n000000000.txt\n000000000.json\n000000000.capsfusion.txt\n"
            "000000002.jpg\n000000002.txt\n000000002.json\n000000002.capsfusion.txt\n");
  std::string jpg_in, jpg_out;
  ASSERT_EQ(RunCommand("tar xOf '" + dir.File("in.tar") + "' 000000002.jpg", &jpg_in), 0);
  ASSERT_EQ(RunCommand("tar xOf '" + dir.File("out.tar") + "' 000000002.jpg", &jpg_out), 0);
  EXPECT_EQ(jpg_in.size(), 1000u + 2 * 37);
  EXPECT_EQ(jpg_in, jpg_out);
  // Reading the output back: the fused caption is the field "capsfusion".
  ReadResult back = ReadAll(dir.File("out.tar"), WdsOptions());
  ASSERT_EQ(back.records.size(), 2u);
  EXPECT_EQ(back.records[1].Find("capsfusion")->json, "\"fused 2\"");
  // Records that did not come from a shard become KEY.json plus the caption.
  auto w2 = RecordWriter::Open(dir.File("new.tar"), WriterOptions());
  Record r;
  r.id = "abc";
  r.SetString("laion_2b", "x");
  r.SetString("capsfusion", "y");
  ASSERT_TRUE((*w2)->Write(r).ok());
  ASSERT_TRUE((*w2)->Close().ok());
  ASSERT_EQ(RunCommand("tar xOf '" + dir.File("new.tar") + "' abc.json abc.capsfusion.txt", &out), 0);
  EXPECT_EQ(out, "{\"laion_2b\":\"x\",\"capsfusion\":\"y\"}y");
}

}  // namespace
}  // namespace capsfusion::testing
