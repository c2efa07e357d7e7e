// The remote paths of the CLI on loopback: `fuse --endpoint` against a server
// process killed and restarted mid-run, `teach` against a fake teacher, and
// `caption` against a fake vision server that checks the image data URLs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fake_openai.h"
#include "io/output_stream.h"
#include "test_util.h"
#include "webdataset/tar_writer.h"

extern char** environ;

namespace capsfusion {
namespace {

using testing::FakeOpenAI;
using testing::ReadFile;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFile;

using testing::Cli;
std::string FakeServerBin() { return testing::BinaryDir() + "/fake_openai_server"; }

using testing::ReadJsonl;

size_t CountLines(const std::string& path) {
  std::ifstream in(path);
  size_t n = 0;
  std::string line;
  while (std::getline(in, line)) ++n;
  return n;
}

// Starts `command` through /bin/sh (exec'd, so the pid is the command's).
pid_t Spawn(const std::string& command) {
  std::string full = "exec " + command;
  const char* argv[] = {"/bin/sh", "-c", full.c_str(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  return pid;
}

// Waits up to `seconds` for `pid`; its exit code, or -1 (then it is killed).
int WaitExit(pid_t pid, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Waits for the server's port file.
int ReadPort(const std::string& path, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    std::ifstream in(path);
    int port = 0;
    if (in >> port && port > 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

TEST(RemoteCliTest, FuseSurvivesAServerKilledAndRestartedMidRun) {
  TempDir dir;
  const int n = 300;
  std::string in;
  for (int i = 0; i < n; ++i) {
    in += "{\"id\": " + std::to_string(i) + ", \"laion_2b\": \"Raw caption " + std::to_string(i) +
          "\", \"laion_coco\": \"a synthetic caption " + std::to_string(i) + "\"}\n";
  }
  WriteFile(dir.File("in.jsonl"), in);
  const std::string key = "sk-cli-SECRET-55aa77";
  const std::string log = dir.File("served.log");
  auto start_server = [&](int port) {
    std::remove(dir.File("port").c_str());
    return Spawn(FakeServerBin() + " --port-file " + dir.File("port") + " --port " + std::to_string(port) +
                 " --delay 0.02 --key " + key + " --log " + log + " > " + dir.File("server.out") + " 2>&1");
  };
  pid_t server = start_server(0);
  ASSERT_GT(server, 0);
  int port = ReadPort(dir.File("port"), 10);
  ASSERT_GT(port, 0) << ReadFile(dir.File("server.out"));

  pid_t fuse = Spawn("env CAPSFUSION_FUSE_KEY=" + key + " " + Cli() + " fuse " + dir.File("in.jsonl") + " -o " +
                     dir.File("out.jsonl") + " -m model --endpoint http://127.0.0.1:" + std::to_string(port) +
                     " --endpoint-model fake-model --api-key-env CAPSFUSION_FUSE_KEY --concurrency 4 --batch-size 16" +
                     " --summary-json " + dir.File("sum.json") + " > " + dir.File("fuse.log") + " 2>&1");
  ASSERT_GT(fuse, 0);
  // Kill the server once part of the rows are done, keep it down a while, restart it on the same port.
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (CountLines(log) < 60 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(server, SIGKILL);
  waitpid(server, nullptr, 0);
  size_t at_kill = CountLines(log);
  ASSERT_GE(at_kill, 60u);
  ASSERT_LT(at_kill, static_cast<size_t>(n)) << "the run ended before the server was killed";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server = start_server(port);
  ASSERT_EQ(ReadPort(dir.File("port"), 10), port) << ReadFile(dir.File("server.out"));

  int rc = WaitExit(fuse, 120);
  kill(server, SIGTERM);
  WaitExit(server, 10);
  std::string fuse_log = ReadFile(dir.File("fuse.log"));
  ASSERT_EQ(rc, 0) << fuse_log;
  auto rows = ReadJsonl(dir.File("out.jsonl"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(n)) << fuse_log;
  std::set<int> ids;
  for (const auto& r : rows) {
    int id = r["id"].get<int>();
    EXPECT_TRUE(ids.insert(id).second) << "row " << id << " twice";
    EXPECT_EQ(r["capsfusion"], testing::FakeFusion(r["laion_2b"], r["laion_coco"])) << id;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
  EXPECT_FALSE(std::filesystem::exists(dir.File("out.jsonl.rejects.jsonl"))) << ReadFile(dir.File("out.jsonl.rejects.jsonl"));
  EXPECT_GE(CountLines(log), static_cast<size_t>(n));
  // The key was sent (the server refuses others) but is nowhere in what the run wrote.
  for (const char* f : {"out.jsonl", "sum.json", "fuse.log"}) {
    EXPECT_EQ(ReadFile(dir.File(f)).find(key), std::string::npos) << f;
  }
  std::printf("server killed after %zu of %d answers; %zu answers in all\n", at_kill, n, CountLines(log));
}

// The fuse process itself killed mid-run against a remote endpoint: the rerun
// resumes from the committed chunks (fewer requests than rows) and the output
// has every row exactly once.
TEST(RemoteCliTest, FuseKilledMidRunResumesAgainstTheEndpoint) {
  TempDir dir;
  const int n = 400;
  std::string in;
  for (int i = 0; i < n; ++i) {
    in += "{\"id\": " + std::to_string(i) + ", \"laion_2b\": \"Raw caption " + std::to_string(i) +
          "\", \"laion_coco\": \"a synthetic caption " + std::to_string(i) + "\"}\n";
  }
  WriteFile(dir.File("in.jsonl"), in);
  FakeOpenAI::Options so;
  so.delay_s = 0.02;
  FakeOpenAI server(so);
  const std::string command = Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("out.jsonl") +
                              " -m model --endpoint " + server.url() +
                              " --endpoint-model fake-model --concurrency 4 --batch-size 16 --chunk-rows 20";
  pid_t fuse = Spawn(command + " > " + dir.File("fuse1.log") + " 2>&1");
  ASSERT_GT(fuse, 0);
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (server.answered() < 120 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(fuse, SIGKILL);
  int status = 0;
  waitpid(fuse, &status, 0);
  const int first = server.answered();
  ASSERT_GE(first, 120);
  ASSERT_LT(first, n) << "the run ended before it was killed";
  ASSERT_TRUE(std::filesystem::exists(dir.File("out.jsonl.work"))) << ReadFile(dir.File("fuse1.log"));

  std::string out;
  ASSERT_EQ(RunCommand(command, &out), 0) << out;
  const int second = server.answered() - first;
  EXPECT_LT(second, n - 60) << "the rerun did not resume";  // committed chunks were not sent again
  auto rows = ReadJsonl(dir.File("out.jsonl"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(n)) << out;
  std::set<int> ids;
  for (const auto& r : rows) {
    EXPECT_TRUE(ids.insert(r["id"].get<int>()).second) << "row " << r["id"] << " twice";
    EXPECT_EQ(r["capsfusion"], testing::FakeFusion(r["laion_2b"], r["laion_coco"]));
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
  std::printf("fuse killed after %d answers; the rerun asked %d more for %d rows\n", first, second, n);
}

TEST(RemoteCliTest, FuseStopsAtOnceOnAWrongKeyWithoutShowingIt) {
  TempDir dir;
  WriteFile(dir.File("in.jsonl"), "{\"laion_2b\": \"A\", \"laion_coco\": \"b\"}\n{\"laion_2b\": \"C\", \"laion_coco\": \"d\"}\n");
  FakeOpenAI::Options so;
  so.api_key = "sk-right-key";
  FakeOpenAI server(so);
  std::string out;
  int rc = RunCommand("env CAPSFUSION_FUSE_KEY=sk-wrong-SECRET-1234 " + Cli() + " fuse " + dir.File("in.jsonl") + " -o " +
                          dir.File("out.jsonl") + " -m model --endpoint " + server.url() +
                          " --endpoint-model fake-model --api-key-env CAPSFUSION_FUSE_KEY",
                      &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("401"), std::string::npos) << out;
  EXPECT_NE(out.find("CAPSFUSION_FUSE_KEY"), std::string::npos) << out;
  EXPECT_EQ(out.find("SECRET"), std::string::npos) << out;
  // A named variable that is not set.
  rc = RunCommand(Cli() + " fuse " + dir.File("in.jsonl") + " -o " + dir.File("o2.jsonl") + " -m model --endpoint " +
                      server.url() + " --endpoint-model fake-model --api-key-env CAPSFUSION_NO_SUCH_VARIABLE",
                  &out);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("CAPSFUSION_NO_SUCH_VARIABLE"), std::string::npos) << out;
}

TEST(RemoteCliTest, TeachFusesASampleResumesAndPrintsTheTrainCommand) {
  TempDir dir;
  std::string in;
  for (int i = 0; i < 20; ++i) {
    std::string tag = (i == 4 || i == 11) ? "bad " : "";
    in += "{\"laion_2b\": \"Raw " + tag + std::to_string(i) + "\", \"laion_coco\": \"syn " + std::to_string(i) +
          "\", \"capsfuion_official\": \"official " + std::to_string(i) + "\"}\n";
  }
  WriteFile(dir.File("in.jsonl"), in);
  const std::string out_path = dir.File("teacher.jsonl");
  std::string out;
  {
    FakeOpenAI teacher({});
    int rc = RunCommand(Cli() + " teach " + dir.File("in.jsonl") + " --sample 8 --seed 3 -o " + out_path +
                            " --endpoint " + teacher.url() + " --endpoint-model fake-model --request-param top_k=5 2>/dev/null",
                        &out);
    ASSERT_EQ(rc, 0) << out;
    EXPECT_EQ(teacher.requests(), 8);
    auto body = nlohmann::json::parse(teacher.bodies()[0]);
    ASSERT_TRUE(body.contains("messages"));  // chat by default
    EXPECT_NE(body["messages"][0]["content"].get<std::string>().find("Sentence 1: Raw"), std::string::npos);
    EXPECT_EQ(body["top_k"], 5);
  }
  auto rows = ReadJsonl(out_path);
  ASSERT_EQ(rows.size(), 8u);
  for (const auto& r : rows) {
    EXPECT_EQ(r["capsfusion_teacher"], testing::FakeFusion(r["laion_2b"], r["laion_coco"]));
    EXPECT_TRUE(r.contains("capsfuion_official"));  // input fields pass through
  }
  EXPECT_NE(out.find("capsfusion train " + out_path + " --raw-field laion_2b --synthetic-field laion_coco "
                     "--target-field capsfusion_teacher -o runs/teacher"),
            std::string::npos)
      << out;

  // All rows now; the two "bad" rows are refused (unless the sample had them); a crash left half a line at the end.
  size_t bad_left = 2;
  for (const auto& r : rows) bad_left -= r["laion_2b"].get<std::string>().find("bad") != std::string::npos;
  {
    std::ofstream(out_path, std::ios::app) << "{\"laion_2b\": \"Raw 1";
    FakeOpenAI teacher({});
    teacher.FailPromptsWith("Raw bad", 400);
    int rc = RunCommand(Cli() + " teach " + dir.File("in.jsonl") + " -o " + out_path + " --endpoint " + teacher.url() +
                            " --endpoint-model fake-model",
                        &out);
    EXPECT_EQ(rc, bad_left > 0 ? 3 : 0) << out;
    EXPECT_EQ(teacher.requests(), 12);  // 20 - 8 already done
    EXPECT_EQ(ReadJsonl(out_path).size(), 20u - bad_left);
    if (bad_left > 0) {
      EXPECT_EQ(ReadJsonl(out_path + ".rejects.jsonl").size(), bad_left);
      EXPECT_NE(out.find("run the same command again"), std::string::npos) << out;
    }
  }
  {
    FakeOpenAI teacher({});
    int rc = RunCommand(Cli() + " teach " + dir.File("in.jsonl") + " -o " + out_path + " --endpoint " + teacher.url() +
                            " --endpoint-model fake-model",
                        &out);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(teacher.requests(), static_cast<int>(bad_left));
    rows = ReadJsonl(out_path);
    ASSERT_EQ(rows.size(), 20u);
    std::set<std::string> raws;
    for (const auto& r : rows) raws.insert(r["laion_2b"].get<std::string>());
    EXPECT_EQ(raws.size(), 20u);

    // --train runs `capsfusion train` on the triplets (here a build without the trainer says so).
    std::string help;
    RunCommand(Cli() + " train --help", &help);
    if (help.find("not in this build") != std::string::npos) {
      rc = RunCommand(Cli() + " teach " + dir.File("in.jsonl") + " -o " + out_path + " --endpoint " + teacher.url() +
                          " --endpoint-model fake-model --train " + dir.File("run"),
                      &out);
      EXPECT_EQ(teacher.requests(), static_cast<int>(bad_left));  // nothing left to fuse
      EXPECT_NE(rc, 0);
      EXPECT_NE(out.find("capsfusion train:"), std::string::npos) << out;  // the trainer's own message
    }
  }
}

// A valid PNG of w x 1 grey pixels of value `v`.
std::string TinyPng(int w, int v) {
  auto be32 = [](uint32_t x) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((x >> (24 - 8 * i)) & 0xff);
    return s;
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    std::string td = type + data;
    uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(td.data()), static_cast<uInt>(td.size()));
    return be32(static_cast<uint32_t>(data.size())) + td + be32(crc);
  };
  std::string ihdr = be32(w) + be32(1) + std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit greyscale
  std::string raw(1, '\0');
  raw += std::string(w, static_cast<char>(v));
  uLongf len = compressBound(raw.size());
  std::string z(len, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  z.resize(len);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", "");
}

TEST(RemoteCliTest, CaptionFillsTheSyntheticFieldFromFoldersTarsAndDatasets) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directories(dir.File("imgs/sub"));
  const std::string a = TinyPng(3, 10), b = TinyPng(5, 200);
  const std::string c = std::string("\xff\xd8\xff\xe0", 4) + "not really a jpeg but its magic";
  WriteFile(dir.File("imgs/a.png"), a);
  WriteFile(dir.File("imgs/a.txt"), "Raw alt text A\n");
  WriteFile(dir.File("imgs/sub/b.PNG"), b);
  WriteFile(dir.File("imgs/c.jpg"), c);
  WriteFile(dir.File("imgs/d.png"), "plain text, not an image");
  WriteFile(dir.File("imgs/notes.md"), "ignored");
  FakeOpenAI vision({});
  std::string out;
  int rc = RunCommand(Cli() + " caption " + dir.File("imgs") + " -o " + dir.File("cap.jsonl") + " --endpoint " + vision.url() +
                          " --endpoint-model fake-model",
                      &out);
  EXPECT_EQ(rc, 3) << out;  // d.png failed
  auto rows = ReadJsonl(dir.File("cap.jsonl"));
  ASSERT_EQ(rows.size(), 3u) << out;
  EXPECT_EQ(rows[0]["id"], "a.png");
  EXPECT_EQ(rows[0]["txt"], "Raw alt text A");
  EXPECT_EQ(rows[0]["laion_coco"], testing::FakeImageCaption(a));  // the data URL decoded to the file's bytes
  EXPECT_EQ(rows[1]["id"], "c.jpg");
  EXPECT_EQ(rows[1]["laion_coco"], testing::FakeImageCaption(c));
  EXPECT_EQ(rows[2]["id"], "sub/b.PNG");
  EXPECT_EQ(rows[2]["laion_coco"], testing::FakeImageCaption(b));
  auto rejects = ReadJsonl(dir.File("cap.jsonl.rejects.jsonl"));
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_NE(rejects[0]["origin"].get<std::string>().find("d.png"), std::string::npos);
  EXPECT_EQ(vision.requests(), 3);
  auto body = nlohmann::json::parse(vision.bodies()[0]);
  const auto& content = body["messages"][0]["content"];
  EXPECT_NE(content[0]["text"].get<std::string>().find("short caption"), std::string::npos);  // the default prompt
  EXPECT_EQ(content[1]["image_url"]["url"].get<std::string>().rfind("data:image/", 0), 0u);

  // A WebDataset shard: sample 000 already has the field (from its .json), 001 gets one.
  {
    auto os = io::OutputStream::Open(dir.File("shard.tar"));
    ASSERT_TRUE(os.ok());
    webdataset::TarWriter tw(os->get());
    ASSERT_TRUE(tw.Add("000.png", a).ok());
    ASSERT_TRUE(tw.Add("000.txt", "Shard raw zero").ok());
    ASSERT_TRUE(tw.Add("000.json", "{\"laion_coco\": \"kept as it was\", \"url\": \"http://x/0\"}").ok());
    ASSERT_TRUE(tw.Add("001.png", b).ok());
    ASSERT_TRUE(tw.Add("001.txt", "Shard raw one").ok());
    ASSERT_TRUE(tw.Finish().ok());
    ASSERT_TRUE((*os)->Close().ok());
  }
  int before = vision.requests();
  rc = RunCommand(Cli() + " caption " + dir.File("shard.tar") + " -o " + dir.File("shard.jsonl") + " --endpoint " +
                      vision.url() + " --endpoint-model fake-model --prompt 'Describe it.'",
                  &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(vision.requests() - before, 1);
  rows = ReadJsonl(dir.File("shard.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["__key__"], "000");
  EXPECT_EQ(rows[0]["laion_coco"], "kept as it was");
  EXPECT_EQ(rows[0]["url"], "http://x/0");
  EXPECT_EQ(rows[1]["txt"], "Shard raw one");
  EXPECT_EQ(rows[1]["laion_coco"], testing::FakeImageCaption(b));
  body = nlohmann::json::parse(vision.bodies().back());
  EXPECT_EQ(body["messages"][0]["content"][0]["text"], "Describe it.");

  // A dataset of image paths; then the result fuses.
  WriteFile(dir.File("rows.jsonl"),
            "{\"path\": \"imgs/a.png\", \"laion_2b\": \"Dataset raw A\"}\n"
            "{\"path\": \"imgs/sub/b.PNG\", \"laion_2b\": \"Dataset raw B\", \"laion_coco\": \"has one\"}\n");
  before = vision.requests();
  rc = RunCommand(Cli() + " caption " + dir.File("rows.jsonl") + " --image-field path -o " + dir.File("rows.cap.jsonl") +
                      " --endpoint " + vision.url() + " --endpoint-model fake-model",
                  &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(vision.requests() - before, 1);
  rows = ReadJsonl(dir.File("rows.cap.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["laion_coco"], testing::FakeImageCaption(a));
  EXPECT_EQ(rows[1]["laion_coco"], "has one");
  ASSERT_EQ(RunCommand(Cli() + " fuse " + dir.File("rows.cap.jsonl") + " -o " + dir.File("fused.jsonl") + " -m model --endpoint " +
                           vision.url() + " --endpoint-model fake-model -q",
                       &out),
            0)
      << out;
  rows = ReadJsonl(dir.File("fused.jsonl"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["capsfusion"], testing::FakeFusion("Dataset raw A", testing::FakeImageCaption(a)));

  // Completions-only endpoints cannot take images.
  rc = RunCommand(Cli() + " caption " + dir.File("imgs") + " -o " + dir.File("x.jsonl") + " --endpoint " + vision.url() +
                      " --endpoint-model fake-model --endpoint-style completions",
                  &out);
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("chat"), std::string::npos) << out;
}

}  // namespace
}  // namespace capsfusion
