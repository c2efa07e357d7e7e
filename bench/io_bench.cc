// Dataset I/O throughput: rows/s and MB/s for reading and writing each format
// (JSON array, JSONL, CSV, JSONL.gz, JSONL.zst) on generated caption-like
// rows. Prints figures only; nothing passes or fails.
//
//   build/bench/io_bench [--rows=N] [google benchmark flags]
//
// MB/s counts uncompressed bytes (the JSON/CSV text), also for .gz and .zst.
#include <benchmark/benchmark.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "io_bench_data.h"

namespace capsfusion::bench {
namespace {

size_t g_rows = 200000;
std::string g_dir;
std::vector<Record> g_records;

const char* kFormats[] = {"json", "jsonl", "csv", "jsonl.gz", "jsonl.zst"};

std::string PathFor(const std::string& ext) { return g_dir + "/rows." + ext; }

uint64_t PlainBytes(const std::string& ext) {
  // The uncompressed size is the size of the plain file of the same format.
  std::string plain = ext.substr(0, ext.find('.'));
  struct stat st;
  return stat(PathFor(plain).c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void Prepare() {
  char tmpl[] = "/tmp/capsfusion-io-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  g_dir = tmpl;
  CaptionGenerator gen;
  g_records.resize(g_rows);
  for (Record& r : g_records) gen.Next(&r);
  for (const char* ext : kFormats) {
    auto w = RecordWriter::Open(PathFor(ext), WriterOptions());
    if (!w.ok()) {
      std::fprintf(stderr, "%s\n", w.status().ToString().c_str());
      std::exit(1);
    }
    for (const Record& r : g_records) (void)(*w)->Write(r);
    Status s = (*w)->Close();
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
}

void BM_Read(benchmark::State& state, std::string ext) {
  ReaderOptions opt;
  opt.fields.references = {"capsfuion_official"};
  uint64_t rows = 0;
  for (auto _ : state) {
    auto reader = RecordReader::Open(PathFor(ext), opt);
    if (!reader.ok()) {
      state.SkipWithError(reader.status().ToString().c_str());
      return;
    }
    Record rec;
    Reject rej;
    while ((*reader)->Next(&rec, &rej) != RecordReader::Result::kEnd) ++rows;
    benchmark::DoNotOptimize(rec.raw.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(rows));
  state.SetBytesProcessed(static_cast<int64_t>(PlainBytes(ext) * state.iterations()));
}

void BM_Write(benchmark::State& state, std::string ext) {
  const std::string path = g_dir + "/out." + ext;
  for (auto _ : state) {
    auto w = RecordWriter::Open(path, WriterOptions());
    if (!w.ok()) {
      state.SkipWithError(w.status().ToString().c_str());
      return;
    }
    for (const Record& r : g_records) (void)(*w)->Write(r);
    (void)(*w)->Close();
  }
  state.SetItemsProcessed(static_cast<int64_t>(g_records.size() * state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(PlainBytes(ext) * state.iterations()));
}

}  // namespace
}  // namespace capsfusion::bench

int main(int argc, char** argv) {
  using namespace capsfusion::bench;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rows=", 7) == 0) {
      g_rows = std::strtoull(argv[i] + 7, nullptr, 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  Prepare();
  std::printf("io_bench: %zu caption rows; JSONL %.1f MB\n", g_rows, PlainBytes("jsonl") / 1e6);
  for (const char* ext : kFormats) {
    benchmark::RegisterBenchmark((std::string("Read/") + ext).c_str(), BM_Read, std::string(ext))
        ->Unit(benchmark::kMillisecond)
        ->MinTime(0.5);
  }
  for (const char* ext : kFormats) {
    benchmark::RegisterBenchmark((std::string("Write/") + ext).c_str(), BM_Write, std::string(ext))
        ->Unit(benchmark::kMillisecond)
        ->MinTime(0.5);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::error_code ec;
  std::filesystem::remove_all(g_dir, ec);
  return 0;
}
