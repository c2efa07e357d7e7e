// `capsfusion stats` throughput: rows/s of reading generated JSONL rows and
// computing every statistic, with and without the per-row fusion metrics,
// next to reading alone. Prints figures only; nothing passes or fails. Wall
// time suffers on a loaded machine; CPU time (all threads) less so.
//
//   build/bench/stats_bench [--rows=N]   (default 1,000,000)
//
// Rows imitate the CapsFusion layout: a noisy raw caption (names, numbers,
// file names, entities) over a Zipf-distributed vocabulary of 300k words, a
// short synthetic caption over a narrow vocabulary, and a fused caption that
// mixes both; every fourth row has QC reasons and every row a score.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "capsfusion/caption_stats.h"
#include "capsfusion/reader.h"
#include "capsfusion/record.h"

namespace capsfusion::bench {
namespace {

class RowGenerator {
 public:
  RowGenerator() {
    // Zipf(1.05) over the open vocabulary: cumulative weights for sampling.
    cumulative_.resize(kVocabulary);
    double sum = 0;
    for (size_t i = 0; i < kVocabulary; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), 1.05);
      cumulative_[i] = sum;
    }
  }

  std::string NextJson(uint64_t index) {
    std::string raw, syn, fused;
    const int raw_words = 3 + static_cast<int>(Rand() % 18);
    std::vector<std::string> kept;
    for (int i = 0; i < raw_words; ++i) {
      std::string w = OpenWord();
      if (Rand() % 3 == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');  // a name
      if (Rand() % 11 == 0) w = std::to_string(Rand() % 3000);
      if (Rand() % 40 == 0) w = "IMG_" + std::to_string(Rand() % 10000) + ".jpg";
      if (Rand() % 50 == 0) w += " &amp;";
      raw += (i ? " " : "") + w;
      if (Rand() % 4 != 0) kept.push_back(w);
    }
    static const char* kSyn[] = {"a", "man", "woman", "standing", "in", "front", "of", "white", "building",
                                 "with", "red", "car", "parked", "on", "street", "dog", "sitting", "grass",
                                 "the", "cover", "book", "logo", "two", "people", "table", "black", "image"};
    const int syn_words = 5 + static_cast<int>(Rand() % 9);
    for (int i = 0; i < syn_words; ++i) syn += std::string(i ? " " : "") + kSyn[Rand() % (sizeof kSyn / sizeof *kSyn)];
    fused = "The " + (kept.empty() ? std::string("scene") : kept[0]);
    for (size_t i = 1; i < kept.size(); ++i) fused += " " + kept[i];
    fused += " shows " + syn + ", " + OpenWord() + " and " + OpenWord() + ".";
    std::string row = "{\"laion_2b\": " + JsonString(raw) + ", \"laion_coco\": " + JsonString(syn) +
                      ", \"capsfusion\": " + JsonString(fused);
    if (index % 4 == 0) row += ", \"qc_reasons\": [\"too_long\"]";
    row += ", \"score\": " + std::to_string((Rand() % 1000) / 1000.0) + "}";
    return row;
  }

 private:
  static constexpr size_t kVocabulary = 300000;

  uint64_t Rand() {
    x_ ^= x_ << 13;
    x_ ^= x_ >> 7;
    x_ ^= x_ << 17;
    return x_;
  }

  // A pseudo-word for vocabulary rank r (distinct ranks give distinct words).
  std::string OpenWord() {
    const double u = (Rand() % 1000000007) / 1000000007.0 * cumulative_.back();
    size_t r = static_cast<size_t>(std::lower_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    static const char kLetters[] = "etaoinshrdlucmfwypvbgkqjxz";
    std::string w;
    do {
      w.push_back(kLetters[r % 26]);
      r /= 26;
    } while (r > 0);
    if (w.size() < 3) w += "en";
    return w;
  }

  uint64_t x_ = 0x2545F4914F6CDD1DULL;
  std::vector<double> cumulative_;
};

long PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;
}

double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Timing {
  double seconds = 0;
  double cpu = 0;  // process CPU time, all threads
  uint64_t rows = 0;
  uint64_t vocabulary = 0;
};

Timing Run(const std::string& path, int mode, size_t threads) {
  // mode 0: read only; 1: stats without retention; 2: every statistic.
  StatsOptions so;
  so.retention = mode == 2;
  so.threads = threads;
  StatsCollector collector(so);
  ReaderOptions ro;
  collector.ConfigureReader(&ro);
  const auto start = std::chrono::steady_clock::now();
  const double cpu = CpuSeconds();
  auto reader = RecordReader::Open(path, ro);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().ToString().c_str());
    std::exit(1);
  }
  Record rec;
  Reject rej;
  Timing t;
  while ((*reader)->Next(&rec, &rej) != RecordReader::Result::kEnd) {
    ++t.rows;
    if (mode > 0) collector.Add(rec);
  }
  if (mode > 0) t.vocabulary = collector.Report().vocabulary;
  t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  t.cpu = CpuSeconds() - cpu;
  return t;
}

}  // namespace
}  // namespace capsfusion::bench

int main(int argc, char** argv) {
  using namespace capsfusion::bench;
  uint64_t rows = 1000000;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--rows=", 7) == 0) rows = std::strtoull(argv[i] + 7, nullptr, 10);
  }
  char tmpl[] = "/tmp/capsfusion-stats-bench-XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) {
    std::perror("mkstemp");
    return 1;
  }
  close(fd);
  const std::string path = tmpl;
  {
    RowGenerator gen;
    std::ofstream out(path, std::ios::binary);
    for (uint64_t i = 0; i < rows; ++i) out << gen.NextJson(i) << '\n';
  }
  std::ifstream probe(path, std::ios::binary | std::ios::ate);
  const double mb = static_cast<double>(probe.tellg()) / 1e6;
  std::printf("stats_bench: %llu generated rows, %.1f MB of JSONL\n", static_cast<unsigned long long>(rows), mb);
  std::printf("%-34s %8s %12s %10s %8s %14s %12s\n", "pass", "seconds", "rows/s", "MB/s", "CPU s", "rows/CPU s",
              "vocabulary");
  const size_t threads = std::min<size_t>(4, std::max(1u, std::thread::hardware_concurrency()));
  struct Pass {
    const char* name;
    int mode;
    size_t threads;
  };
  const std::string many = std::to_string(threads) + " threads";
  const Pass passes[] = {{"read only", 0, 1},
                         {"stats w/o fusion metrics, 1 thread", 1, 1},
                         {"stats w/o fusion metrics, auto", 1, threads},
                         {"stats, everything, 1 thread", 2, 1},
                         {"stats, everything, auto", 2, threads}};
  std::printf("(auto: %s for the per-caption statistics, plus one for the fusion metrics)\n", many.c_str());
  for (const Pass& p : passes) {
    const Timing t = Run(path, p.mode, p.threads);
    std::printf("%-34s %8.2f %12.0f %10.1f %8.2f %14.0f %12llu\n", p.name, t.seconds, t.rows / t.seconds,
                mb / t.seconds, t.cpu, t.rows / t.cpu, static_cast<unsigned long long>(t.vocabulary));
  }
  std::printf("peak RSS %ld MB\n", PeakRssMb());
  std::remove(path.c_str());
  return 0;
}
