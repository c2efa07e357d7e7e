// Tests of the viewer (capsfusion view): the row store over every input kind
// and the HTTP API through a loopback cpp-httplib client, bad requests included.
#include <gtest/gtest.h>

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/viewer.h"
#include "test_util.h"
#include "view/row_store.h"

namespace capsfusion {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kXss = "<script>window.__xss=1;alert(1)</script><img src=x onerror=\"alert(2)\">";

// n rows of JSONL; row i has a QC reason when i % 3 == 0 and a score of i / n.
std::string Rows(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    json row;
    row["key"] = std::to_string(i);
    row["laion_2b"] = i == 7 ? std::string(kXss) : "Eiffel Tower Paris photo " + std::to_string(i);
    row["laion_coco"] = i % 2 ? "a tall tower at night" : "a red car on a road";
    row["capsfusion"] = "The Eiffel Tower in Paris at night, picture " + std::to_string(i);
    if (i % 3 == 0) {
      row["qc_reasons"] = i % 2 ? json::array({"too_short"}) : json::array({"prompt_leak", "too_short"});
    } else {
      row["qc_reasons"] = json::array();
    }
    row["score"] = static_cast<double>(i) / n;
    row["eval"] = {{"cider_d", i * 0.1}};
    out += row.dump() + "\n";
  }
  return out;
}

ViewerOptions Options(const std::vector<std::string>& inputs) {
  ViewerOptions o;
  o.inputs = inputs;
  o.reader.fields.id = "key";
  o.port = 0;
  return o;
}

// A viewer serving on a free port in a background thread.
class Served {
 public:
  explicit Served(ViewerOptions options) {
    auto v = Viewer::Open(options);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok()) return;
    viewer_ = std::move(*v);
    EXPECT_TRUE(viewer_->Bind().ok());
    thread_ = std::thread([this] { status_ = viewer_->Serve(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", viewer_->port());
    client_->set_read_timeout(10);
    // Wait until it answers.
    for (int i = 0; i < 200; ++i) {
      if (client_->Get("/api/info")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~Served() {
    if (viewer_) viewer_->Stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(status_.ok()) << status_.ToString();
  }
  httplib::Client& client() { return *client_; }
  Viewer& viewer() { return *viewer_; }

  // GET `path`; the status in *code, the body parsed as JSON.
  json Get(const std::string& path, int* code = nullptr) {
    auto res = client_->Get(path);
    EXPECT_TRUE(res) << path;
    if (!res) return json();
    if (code) *code = res->status;
    EXPECT_EQ(res->get_header_value("Content-Type").rfind("application/json", 0), 0u) << path;
    EXPECT_EQ(res->body.find('<'), std::string::npos) << path;  // never markup in API answers
    return json::parse(res->body, nullptr, false);
  }
  // Row indices a search finds, following its cursor to the end.
  std::vector<int> SearchAll(const std::string& path, int* requests = nullptr) {
    std::vector<int> found;
    json cursor = 0;
    int n = 0;
    while (!cursor.is_null() && n < 100) {
      json r = Get(path + "&cursor=" + cursor.dump());
      for (const auto& row : r["rows"]) found.push_back(row["index"]);
      cursor = r["cursor"];
      ++n;
    }
    if (requests) *requests = n;
    return found;
  }
  int Status(const std::string& path) {
    auto res = client_->Get(path);
    return res ? res->status : -1;
  }

 private:
  std::unique_ptr<Viewer> viewer_;
  std::thread thread_;
  capsfusion::Status status_;
  std::unique_ptr<httplib::Client> client_;
};

TEST(RowStoreTest, InPlaceAndSpooledInputsGiveTheStreamedRows) {
  TempDir dir;
  const std::string jsonl = dir.File("a.jsonl");
  WriteFile(jsonl, "\xEF\xBB\xBF" + Rows(5) + "\nnot json\n" + Rows(2));
  const std::string array = dir.File("b.json");
  WriteFile(array, "[\n {\"laion_2b\": \"x &amp; y\", \"laion_coco\": \"b\"},\n\n {\"laion_2b\": \"c\", \"laion_coco\": \"d\"}\n]\n");
  const std::string csv = dir.File("c.csv");
  WriteFile(csv, "laion_2b,laion_coco\n\"multi\nline\",b\nplain,\"q\"\"uote\"\n");
  std::string out;
  ASSERT_EQ(testing::RunCommand("gzip -c " + jsonl + " > " + dir.File("d.jsonl.gz"), &out), 0) << out;

  view::RowStoreOptions o;
  o.reader.require_raw = o.reader.require_synthetic = false;
  const std::vector<std::string> paths = {jsonl, array, csv, dir.File("d.jsonl.gz")};
  auto store = view::RowStore::Build(paths, o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE((*store)->spooled(0));
  EXPECT_FALSE((*store)->spooled(1));
  EXPECT_TRUE((*store)->spooled(2));
  EXPECT_TRUE((*store)->spooled(3));
  EXPECT_EQ((*store)->facets().rejected, 2u);

  // Every row equals what the streaming reader gives.
  std::vector<Record> expected;
  for (const auto& p : paths) {
    auto reader = RecordReader::Open(p, o.reader);
    ASSERT_TRUE(reader.ok());
    Record rec;
    Reject rej;
    for (;;) {
      auto r = (*reader)->Next(&rec, &rej);
      if (r == RecordReader::Result::kEnd) break;
      if (r == RecordReader::Result::kRecord) expected.push_back(rec);
    }
  }
  ASSERT_EQ((*store)->size(), expected.size());
  for (uint64_t i = 0; i < expected.size(); ++i) {
    Record rec;
    ASSERT_TRUE((*store)->Read(i, &rec).ok()) << i;
    EXPECT_EQ(rec.raw, expected[i].raw) << i;
    EXPECT_EQ(rec.synthetic, expected[i].synthetic) << i;
    EXPECT_EQ(rec.id, expected[i].id) << i;
    EXPECT_EQ(rec.origin, expected[i].origin) << i;
    ASSERT_EQ(rec.fields.size(), expected[i].fields.size()) << i;
  }
  uint64_t seen = 0;
  ASSERT_TRUE((*store)->Scan(3, [&](uint64_t i, const Record& rec) {
                        EXPECT_EQ(i, 3 + seen);
                        EXPECT_EQ(rec.raw, expected[i].raw);
                        ++seen;
                        return true;
                      }).ok());
  EXPECT_EQ(seen, expected.size() - 3);
  Record rec;
  EXPECT_FALSE((*store)->Read(expected.size(), &rec).ok());
  EXPECT_EQ(expected[7].raw, "x & y");
  EXPECT_EQ(expected[9].raw, "multi line");
}

TEST(RowStoreTest, MissingFileIsAnError) {
  view::RowStoreOptions o;
  EXPECT_FALSE(view::RowStore::Build({"/nonexistent/x.jsonl"}, o).ok());
}

TEST(ViewerApiTest, InfoPagesAndRows) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(50));
  Served s(Options({dir.File("rows.jsonl")}));
  json info = s.Get("/api/info");
  EXPECT_EQ(info["rows"], 50);
  EXPECT_EQ(info["qc"]["flagged"], 17);
  EXPECT_EQ(info["qc"]["reasons"].size(), 2u);
  std::set<std::string> metrics(info["metrics"].begin(), info["metrics"].end());
  EXPECT_TRUE(metrics.count("score"));
  EXPECT_TRUE(metrics.count("eval.cider_d"));
  EXPECT_TRUE(metrics.count("fusion:raw_retention"));

  json page = s.Get("/api/rows?offset=40&limit=20");
  EXPECT_EQ(page["total"], 50);
  ASSERT_EQ(page["rows"].size(), 10u);
  EXPECT_EQ(page["rows"][0]["index"], 40);
  EXPECT_EQ(page["rows"][0]["id"], "40");
  EXPECT_EQ(s.Get("/api/rows?offset=50")["rows"].size(), 0u);

  json row = s.Get("/api/row/7");
  EXPECT_EQ(row["raw"], kXss);
  EXPECT_TRUE(row.contains("fields"));
  // The fused caption's words carry their origin; the text round-trips.
  std::string fused;
  std::map<std::string, std::string> origin;
  for (const auto& seg : row["segments"]["fused"]) {
    fused += seg[0].get<std::string>();
    if (!seg[1].get<std::string>().empty()) origin[seg[0]] = seg[1];
  }
  EXPECT_EQ(fused, row["fused"]);
  EXPECT_EQ(origin["Eiffel"], "neither");  // row 7's raw caption is the script
  EXPECT_EQ(origin["Tower"], "synthetic");
  EXPECT_EQ(origin["night"], "synthetic");
  json row1 = s.Get("/api/row/1");
  std::map<std::string, std::string> o1;
  for (const auto& seg : row1["segments"]["fused"]) o1[seg[0]] = seg[1];
  EXPECT_EQ(o1["Eiffel"], "raw");
  EXPECT_EQ(o1["Tower"], "both");
  EXPECT_EQ(o1["night"], "synthetic");
  EXPECT_EQ(o1["picture"], "neither");
  EXPECT_EQ(row1["qc"].size(), 0u);
  EXPECT_DOUBLE_EQ(row1["metrics"]["score"].get<double>(), 0.02);
}

TEST(ViewerApiTest, SearchFiltersAndCursors) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(600));
  ViewerOptions o = Options({dir.File("rows.jsonl")});
  o.search_seconds = 0;  // every request stops after 256 rows: exercises the cursor
  Served s(o);

  // Text search over all captions, continued with the cursor until done.
  int requests = 0;
  EXPECT_EQ(s.SearchAll("/api/search?q=PHOTO%2011&limit=200", &requests),
            (std::vector<int>{11, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119}));
  EXPECT_GE(requests, 3);

  // A full page stops at the limit and says where to go on.
  json r = s.Get("/api/search?q=eiffel&in=raw&limit=8");
  ASSERT_EQ(r["rows"].size(), 8u);
  EXPECT_EQ(r["rows"][7]["index"], 8);  // row 7 has no Eiffel in its raw caption
  EXPECT_EQ(r["cursor"], 9);
  EXPECT_EQ(s.Get("/api/search?q=eiffel&in=synthetic&limit=5")["rows"].size(), 0u);

  // QC filters.
  std::vector<int> leaks = s.SearchAll("/api/search?qc=prompt_leak&limit=200");
  EXPECT_EQ(leaks.size(), 100u);
  for (int i : leaks) EXPECT_EQ(i % 6, 0);
  r = s.Get("/api/search?qc=*none&limit=3");
  ASSERT_EQ(r["rows"].size(), 3u);
  EXPECT_EQ(r["rows"][0]["index"], 1);
  r = s.Get("/api/search?qc=*any&limit=3");
  EXPECT_EQ(r["rows"][1]["index"], 3);

  // Metric ranges: a field, a nested member, a computed metric.
  EXPECT_EQ(s.SearchAll("/api/search?metric=score&min=0.5&max=0.51&limit=50"),
            (std::vector<int>{300, 301, 302, 303, 304, 305, 306}));
  r = s.Get("/api/search?metric=eval.cider_d&max=0.25&limit=50");
  EXPECT_EQ(r["rows"].size(), 3u);
  r = s.Get("/api/search?metric=fusion:raw_retention&min=0.7&max=0.85&limit=1");
  ASSERT_EQ(r["rows"].size(), 1u);
  EXPECT_EQ(r["rows"][0]["index"], 0);
}

TEST(ViewerApiTest, BadRequestsGetClientErrors) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(10));
  Served s(Options({dir.File("rows.jsonl")}));
  int code = 0;
  for (const char* path :
       {"/api/rows?limit=0", "/api/rows?limit=100000", "/api/rows?offset=11", "/api/rows?offset=-1",
        "/api/rows?offset=abc", "/api/rows?offset=99999999999999999999999", "/api/row/abc", "/api/row/-1",
        "/api/row/99999999999999999999", "/api/search?in=everywhere", "/api/search?metric=score&min=x",
        "/api/search?metric=score&min=2&max=1", "/api/search?min=1", "/api/search?metric=nope",
        "/api/search?cursor=12"}) {
    s.Get(path, &code);
    EXPECT_EQ(code, 400) << path;
  }
  s.Get("/api/row/10", &code);
  EXPECT_EQ(code, 404);
  EXPECT_EQ(s.Status("/nope"), 404);
  EXPECT_EQ(s.Status("/row/x"), 404);
  EXPECT_EQ(s.Status("/../../etc/passwd"), 404);
  EXPECT_EQ(s.Status("/api/search?q=" + std::string(600, 'a')), 400);
  EXPECT_EQ(s.Status("/api/rows?" + std::string(9000, 'a')), 414);
  auto post = s.client().Post("/api/rows", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  // A foreign Host header (DNS rebinding) is refused.
  auto foreign = s.client().Get("/api/info", {{"Host", "evil.example:80"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  // Still serving after all that.
  EXPECT_EQ(s.Get("/api/info")["rows"], 10);
}

TEST(ViewerApiTest, PageHeadersAndAssets) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(3));
  Served s(Options({dir.File("rows.jsonl")}));
  for (const char* path : {"/", "/row/2", "/app.js", "/app.css", "/api/info"}) {
    auto res = s.client().Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
    const std::string csp = res->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << path;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << path;
    EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff");
  }
  auto page = s.client().Get("/");
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);  // no inline script
  auto js = s.client().Get("/app.js");
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos);
}

TEST(ViewerApiTest, PortInUseIsAnError) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(3));
  Served s(Options({dir.File("rows.jsonl")}));
  ViewerOptions o = Options({dir.File("rows.jsonl")});
  o.port = s.viewer().port();
  auto second = Viewer::Open(o);
  ASSERT_TRUE(second.ok());
  Status bound = (*second)->Bind();
  EXPECT_FALSE(bound.ok());
  EXPECT_NE(bound.message().find("--port 0"), std::string::npos);
}

TEST(ViewCliTest, PrintsTheUrlAndStopsOnSigterm) {
  TempDir dir;
  WriteFile(dir.File("rows.jsonl"), Rows(5));
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string cli = testing::BinaryDir() + "/capsfusion";
  const std::string input = dir.File("rows.jsonl");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(cli.c_str(), cli.c_str(), "view", input.c_str(), "--port", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  char line[512] = {};
  ASSERT_NE(fgets(line, sizeof line, f), nullptr);
  const std::string text = line;
  const size_t at = text.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << text;
  const int port = std::atoi(text.c_str() + at + 17);
  httplib::Client c("127.0.0.1", port);
  auto res = c.Get("/api/info");
  ASSERT_TRUE(res);
  EXPECT_EQ(json::parse(res->body)["rows"], 5);
  kill(pid, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  fclose(f);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace capsfusion
