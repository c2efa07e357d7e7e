// Peak memory of streaming reads: generates JSON array (and JSONL.zst) files of
// 100k and 1M caption rows, reads each in a fresh child process and prints the
// child's peak RSS. Flat memory means the two sizes print about the same peak.
//
//   build/bench/io_memory_bench [rows...]      (default: 100000 1000000)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "io_bench_data.h"

namespace {

using namespace capsfusion;

// The child: read every row, print the count.
int ReadFile(const char* path) {
  auto reader = RecordReader::Open(path, ReaderOptions());
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    return 1;
  }
  Record rec;
  Reject rej;
  uint64_t records = 0, rejects = 0;
  for (;;) {
    auto r = (*reader)->Next(&rec, &rej);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kRecord) ++records;
    if (r == RecordReader::Result::kReject) ++rejects;
  }
  if (!(*reader)->status().ok()) {
    std::fprintf(stderr, "%s\n", (*reader)->status().ToString().c_str());
    return 1;
  }
  if (rejects != 0) {
    std::fprintf(stderr, "%llu records, %llu rejects\n", static_cast<unsigned long long>(records),
                 static_cast<unsigned long long>(rejects));
    return 1;
  }
  return 0;
}

// Writes `rows` generated rows to `path` one at a time (no rows held).
bool Generate(const std::string& path, uint64_t rows) {
  auto w = RecordWriter::Open(path, WriterOptions());
  if (!w.ok()) return false;
  bench::CaptionGenerator gen;
  Record r;
  for (uint64_t i = 0; i < rows; ++i) {
    gen.Next(&r);
    if (!(*w)->Write(r).ok()) return false;
  }
  return (*w)->Close().ok();
}

// Runs `self --read path` and returns its peak RSS in KiB (-1 on failure).
long ChildPeakKiB(const char* self, const std::string& path, double* seconds) {
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    execl(self, self, "--read", path.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (pid < 0 || wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return usage.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--read") == 0) return ReadFile(argv[2]);
  std::vector<uint64_t> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::strtoull(argv[i], nullptr, 10));
  if (sizes.empty()) sizes = {100000, 1000000};
  char tmpl[] = "/tmp/capsfusion-io-mem-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  std::printf("%-10s %-10s %12s %12s %10s\n", "format", "rows", "file MB", "peak RSS MB", "seconds");
  for (const char* ext : {"json", "jsonl.zst"}) {
    for (uint64_t rows : sizes) {
      std::string path = dir + "/rows_" + std::to_string(rows) + "." + ext;
      if (!Generate(path, rows)) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return 1;
      }
      double secs = 0;
      long kib = ChildPeakKiB(argv[0], path, &secs);
      double mb = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
      if (kib < 0) {
        std::fprintf(stderr, "reading %s failed\n", path.c_str());
        return 1;
      }
      std::printf("%-10s %-10llu %12.1f %12.1f %10.2f\n", ext, static_cast<unsigned long long>(rows), mb,
                  kib / 1024.0, secs);
      std::filesystem::remove(path);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
