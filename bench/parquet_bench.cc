// Parquet throughput: rows/s and MB/s writing and reading Parquet with each
// compression, reading with the FieldMap projection, and DuckDB reading the
// same file in the same run as the baseline of the ratio (one thread each).
// Prints figures only; nothing passes or fails.
//
//   build/bench/parquet_bench [--rows=N]
//
// MB/s counts the rows' JSON text (what JSONL of the same rows would hold).
// DuckDB runs through tests/duckdb/duckdb_parquet.mjs when node and
// node_modules/@duckdb are present; otherwise its column says "n/a".
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "io_bench_data.h"

namespace capsfusion::bench {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t FileSize(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// LAION-like rows: the three captions plus url, size and score columns.
std::vector<Record> MakeRows(size_t n, uint64_t* json_bytes) {
  CaptionGenerator gen;
  std::vector<Record> rows(n);
  *json_bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    Record& r = rows[i];
    gen.Next(&r);
    r.SetString("url", "https://images.example.com/" + std::to_string(i * 7919 % 1000003) + "/photo.jpg");
    r.Set("width", std::to_string(256 + i % 1700));
    r.Set("height", std::to_string(256 + (i * 13) % 1300));
    r.Set("similarity", std::to_string(0.28 + static_cast<double>(i % 1000) / 5000.0));
    r.Set("nsfw", i % 11 == 0 ? "true" : "false");
    for (const Field& f : r.fields) *json_bytes += f.name.size() + f.json.size() + 4;
  }
  return rows;
}

struct ReadFigures {
  double seconds = 0;
  uint64_t rows = 0;
};

ReadFigures Read(const std::string& path, const ReaderOptions& options) {
  ReadFigures f;
  auto reader = RecordReader::Open(path, options);
  if (!reader.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), reader.status().ToString().c_str());
    return f;
  }
  Record rec;
  Reject rej;
  double t0 = Now();
  while ((*reader)->Next(&rec, &rej) != RecordReader::Result::kEnd) ++f.rows;
  f.seconds = Now() - t0;
  return f;
}

// DuckDB reading `path` (materialising every value), in seconds; < 0 when unavailable.
double DuckDbSeconds(const std::string& path) {
  const std::string root = CAPSFUSION_SOURCE_DIR;
  if (!std::filesystem::exists(root + "/node_modules/@duckdb/node-api")) return -1;
  std::string cmd = "cd '" + root + "' && node tests/duckdb/duckdb_parquet.mjs bench '" + path + "' 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (pclose(p) != 0) return -1;
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded() || !j.contains("materialise_seconds")) return -1;
  return j["materialise_seconds"].get<double>();
}

}  // namespace
}  // namespace capsfusion::bench

int main(int argc, char** argv) {
  using namespace capsfusion;
  using namespace capsfusion::bench;
  size_t rows = 200000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rows=", 7) == 0) rows = std::strtoull(argv[i] + 7, nullptr, 10);
  }
  const std::string dir = std::filesystem::temp_directory_path() / ("parquet_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  uint64_t json_bytes = 0;
  const std::vector<Record> records = MakeRows(rows, &json_bytes);
  const double mb = static_cast<double>(json_bytes) / 1e6;
  std::printf("parquet_bench: %zu rows, %.1f MB as JSON text, 8 columns\n\n", rows, mb);
  std::printf("%-22s %12s %10s %10s\n", "write", "rows/s", "MB/s", "file MB");

  using C = ParquetWriteOptions::Compression;
  const std::pair<C, const char*> codecs[] = {{C::kZstd, "zstd"}, {C::kSnappy, "snappy"}, {C::kNone, "none"}};
  for (const auto& [codec, name] : codecs) {
    WriterOptions w;
    w.parquet.compression = codec;
    const std::string path = dir + "/rows." + name + ".parquet";
    auto writer = RecordWriter::Open(path, w);
    if (!writer.ok()) return 1;
    double t0 = Now();
    for (const Record& r : records) {
      if (!(*writer)->Write(r).ok()) return 1;
    }
    if (!(*writer)->Close().ok()) return 1;
    double s = Now() - t0;
    std::printf("parquet %-14s %12.0f %10.1f %10.1f\n", name, rows / s, mb / s, FileSize(path) / 1e6);
  }
  {
    const std::string path = dir + "/rows.jsonl";
    auto writer = RecordWriter::Open(path, WriterOptions());
    double t0 = Now();
    for (const Record& r : records) (void)(*writer)->Write(r);
    (void)(*writer)->Close();
    double s = Now() - t0;
    std::printf("%-22s %12.0f %10.1f %10.1f\n", "jsonl (reference)", rows / s, mb / s, FileSize(path) / 1e6);
  }

  std::printf("\n%-22s %12s %10s %14s %14s\n", "read", "rows/s", "MB/s", "DuckDB rows/s", "ours / DuckDB");
  ReaderOptions all;
  all.fields.raw = "laion_2b";
  all.fields.synthetic = "laion_coco";
  for (const auto& [codec, name] : codecs) {
    const std::string path = dir + "/rows." + name + ".parquet";
    ReadFigures f = Read(path, all);
    double duck = DuckDbSeconds(path);
    char duck_rate[32] = "n/a", ratio[32] = "n/a";
    if (duck > 0) {
      std::snprintf(duck_rate, sizeof duck_rate, "%.0f", rows / duck);
      std::snprintf(ratio, sizeof ratio, "%.2fx", duck / f.seconds);
    }
    std::printf("parquet %-14s %12.0f %10.1f %14s %14s\n", name, f.rows / f.seconds, mb / f.seconds, duck_rate, ratio);
  }
  ReaderOptions projected = all;
  projected.columns = ColumnSelection::kFieldMap;
  ReadFigures p = Read(dir + "/rows.zstd.parquet", projected);
  std::printf("%-22s %12.0f %10s\n", "parquet zstd, 2 cols", p.rows / p.seconds, "");
  ReadFigures j = Read(dir + "/rows.jsonl", all);
  std::printf("%-22s %12.0f %10.1f\n", "jsonl (reference)", j.rows / j.seconds, mb / j.seconds);
  std::printf("\n(ours / DuckDB > 1 means faster than DuckDB; both single-threaded, every value materialised.)\n");
  std::filesystem::remove_all(dir);
  return 0;
}
