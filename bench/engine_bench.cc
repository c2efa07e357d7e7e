// engine_bench: throughput of the inference engine, printed as a table (never
// pass/fail).
//
//   build/bench/engine_bench                      # the random models below
//   build/bench/engine_bench --model m.gguf       # one GGUF file
//   options: --threads N (default 2), --runs N (default 3), --only a-F32,b-Q8_0,...,
//            --kv f16|f32 (KV cache type, default f16), --columns pp,tg,agg,e2e
//            (measure only these; the others print "-": handy under a profiler),
//            --models-dir DIR (write the random models there and keep them, to run
//            another engine, such as llama.cpp's llama-bench, on the same files),
//            --name NAME (the row name of --model), --reference pp=N,tg=N,agg1=N,agg8=N,agg32=N
//            and --reference-label TEXT (ratios to these figures instead of the
//            ones below: bench/llama_cpp_reference.sh passes llama.cpp's figures
//            measured just before on the same file)
//
// Columns (each the best of --runs runs; the machine is shared):
//   pp128   prompt tokens/s: one 128-token prompt in one forward call
//   tg      generation tokens/s at batch 1: 128 tokens after a 1-token prompt
//   agg@N   aggregate generation tokens/s of N sequences decoded together after
//           N distinct 100-token prompts: N * 40 / time of the 40 decoding steps
//           (llama-batched-bench's S_TG)
//   tg roof the memory roofline of tg: a plain streaming read, with the same
//           threads and in the same process, of a buffer as large as the
//           weights one token reads (every matrix; the embedding row aside),
//           in the same kind of memory as the packed weights (WeightArena),
//           as tokens/s and GB/s. Single-token decoding cannot beat it for
//           long; tg above it means part of the weights stayed in cache
//   e2e@32  Generate() of 32 prompts of 100 tokens sharing a 70-token prefix,
//           40 new tokens each, end to end (prompts included): new tokens/s
//   RSS     peak resident memory of the process that ran the row (each row
//           runs in its own child process)
//   CPU%    CPU time the row's process got, per thread and per wall second: far
//           below 100 means other processes shared the cores and every
//           throughput of that row is understated
// The load average is printed before and after: on a shared machine, compare
// rows only when it is low.
// Reference figures: llama.cpp b4748 on this machine, 2 threads.
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/architecture.h"
#include "engine/attention.h"
#include "engine/cpu_features.h"
#include "engine/generator.h"
#include "engine/random_llama.h"
#include "engine/sampler.h"
#include "engine/thread_pool.h"
#include "engine/weight_arena.h"
#include "gguf/gguf.h"

#include <immintrin.h>

namespace ce = capsfusion::engine;
using capsfusion::gguf::TensorType;

namespace {

struct Reference {
  double pp = 0, tg = 0, agg1 = 0, agg8 = 0, agg32 = 0;
};

struct Case {
  std::string name;  // "a-F32"
  ce::RandomLlamaConfig cfg;
  Reference ref;
};

std::vector<Case> Cases() {
  auto a = [](TensorType t) {
    ce::RandomLlamaConfig c;
    c.n_layer = 6;
    c.n_embd = 256;
    c.n_head = 8;
    c.n_head_kv = 8;
    c.n_ff = 768;
    c.n_vocab = 8000;
    c.n_ctx = 256;
    c.type = t;
    return c;
  };
  auto b = [](TensorType t) {
    ce::RandomLlamaConfig c;
    c.n_layer = 8;
    c.n_embd = 512;
    c.n_head = 8;
    c.n_head_kv = 8;
    c.n_ff = 1536;
    c.n_vocab = 8000;
    c.n_ctx = 256;
    c.type = t;
    return c;
  };
  return {
      {"a-F32", a(TensorType::kF32), {14400, 1800, 1430, 3080, 1780}},
      {"a-Q8_0", a(TensorType::kQ8_0), {0, 3600, 0, 0, 0}},
      {"a-Q4_0", a(TensorType::kQ4_0), {0, 4300, 0, 0, 0}},
      {"b-F32", b(TensorType::kF32), {0, 400, 0, 0, 0}},
      {"b-Q8_0", b(TensorType::kQ8_0), {0, 1000, 0, 0, 0}},
  };
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<int32_t> RandomTokens(size_t n, uint64_t seed, uint32_t vocab) {
  ce::Rng r(seed);
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(3 + r.Next() % (vocab - 3));
  t[0] = 1;
  return t;
}

void Check(const capsfusion::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "engine_bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

struct Row {
  double pp = 0, tg = 0, agg1 = 0, agg8 = 0, agg32 = 0, e2e32 = 0;
  double rss_mib = 0;
  double cpu_share = 0;
  double roof_tps = 0, roof_gbps = 0;
};

// Bytes of the weight matrices one decoded token reads: every 2-D tensor but
// the token embedding (of which it reads one row), unless the output is tied to it.
uint64_t WeightBytesPerToken(const capsfusion::gguf::GgufFile& file) {
  uint64_t bytes = 0;
  const bool tied = file.FindTensor("output.weight") == nullptr;
  for (const auto& t : file.tensors()) {
    if (t.shape.size() < 2) continue;
    if (t.name == "token_embd.weight" && !tied) continue;
    bytes += t.n_bytes;
  }
  return bytes;
}

__attribute__((target("avx2"))) uint64_t StreamSumAvx2(const uint8_t* p, size_t n) {
  __m256i a = _mm256_setzero_si256(), b = a, c = a, d = a;
  size_t i = 0;
  for (; i + 128 <= n; i += 128) {
    a = _mm256_add_epi64(a, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    b = _mm256_add_epi64(b, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
    c = _mm256_add_epi64(c, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 64)));
    d = _mm256_add_epi64(d, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 96)));
  }
  a = _mm256_add_epi64(_mm256_add_epi64(a, b), _mm256_add_epi64(c, d));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), a);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

uint64_t StreamSum(const uint8_t* p, size_t n) {
  if (__builtin_cpu_supports("avx2")) return StreamSumAvx2(p, n);
  uint64_t s = 0;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    s += v;
  }
  return s;
}

// Reads `bytes` bytes as tg reads its weights (each thread a contiguous part,
// 128 passes as in tg); returns the best bytes/s of `runs`.
double StreamBandwidth(uint64_t bytes, ce::ThreadPool* pool, int runs) {
  bytes = (bytes + 4095) & ~uint64_t{4095};
  ce::WeightArena arena(bytes);  // the memory packed weights live in (huge pages where granted)
  uint8_t* buf = arena.Take(bytes);
  for (uint64_t i = 0; i < bytes; i += 8) {
    const uint64_t v = i * 2654435761u;
    std::memcpy(buf + i, &v, 8);
  }
  const int64_t parts = 64;
  const uint64_t part = (bytes / parts + 127) & ~uint64_t{127};
  volatile uint64_t sink = 0;
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    const double t0 = Now();
    for (int pass = 0; pass < 128; ++pass) {
      pool->ParallelFor(parts, [&](int64_t a, int64_t b) {
        uint64_t s = 0;
        for (int64_t j = a; j < b; ++j) {
          const uint64_t off = static_cast<uint64_t>(j) * part;
          if (off < bytes) s += StreamSum(buf + off, std::min<uint64_t>(part, bytes - off));
        }
        sink = sink + s;
      });
    }
    best = std::min(best, (Now() - t0) / 128);
  }
  return bytes / best;
}

// Prompt processing: one sequence, n tokens, logits for the last.
double PromptSpeed(ce::LanguageModel* lm, int n, int runs) {
  const auto tokens = RandomTokens(n, 1, lm->shape().n_vocab);
  double best = 1e30;
  std::vector<float> logits;
  // One cache for all runs, as llama-bench keeps one context: its storage is
  // allocated by the warm-up run and reused after each release.
  ce::KvCache cache(lm->kv_cache_config());
  for (int r = 0; r < runs + 1; ++r) {
    const int seq = cache.NewSequence();
    std::vector<ce::BatchToken> batch;
    for (int i = 0; i < n; ++i) batch.push_back({tokens[i], seq, i, i == n - 1});
    const double t0 = Now();
    Check(lm->Forward(batch, &cache, &logits), "prompt");
    if (r > 0) best = std::min(best, Now() - t0);  // the first run warms up
    cache.Release(seq);
  }
  return n / best;
}

// n_seq sequences after distinct prompts of prompt_len tokens; times n_gen
// greedy decoding steps of all of them together.
double DecodeSpeed(ce::LanguageModel* lm, int n_seq, int prompt_len, int n_gen, int runs) {
  const int64_t V = lm->shape().n_vocab;
  double best = 1e30;
  std::vector<float> logits;
  ce::KvCache cache(lm->kv_cache_config());  // reused by every run, as in PromptSpeed
  for (int r = 0; r < runs; ++r) {
    std::vector<int> seqs;
    std::vector<ce::BatchToken> batch;
    std::vector<int32_t> last(n_seq);
    for (int s = 0; s < n_seq; ++s) {
      seqs.push_back(cache.NewSequence());
      const auto p = RandomTokens(prompt_len, 100 + s, static_cast<uint32_t>(V));
      for (int i = 0; i < prompt_len; ++i) batch.push_back({p[i], seqs[s], i, i == prompt_len - 1});
    }
    // Prefill in chunks of at most 512 tokens, as the generator does.
    std::vector<ce::BatchToken> chunk;
    for (size_t i = 0; i < batch.size(); i += 512) {
      chunk.assign(batch.begin() + i, batch.begin() + std::min(batch.size(), i + 512));
      Check(lm->Forward(chunk, &cache, &logits), "prefill");
      size_t k = 0;
      for (size_t j = 0; j < chunk.size(); ++j) {
        if (!chunk[j].logits) continue;
        const int s = static_cast<int>(std::find(seqs.begin(), seqs.end(), chunk[j].seq) - seqs.begin());
        last[s] = ce::Argmax(logits.data() + k * V, V);
        ++k;
      }
    }
    const double t0 = Now();
    for (int step = 0; step < n_gen; ++step) {
      batch.clear();
      for (int s = 0; s < n_seq; ++s) batch.push_back({last[s], seqs[s], prompt_len + step, true});
      Check(lm->Forward(batch, &cache, &logits), "decode");
      for (int s = 0; s < n_seq; ++s) last[s] = ce::Argmax(logits.data() + s * V, V);
    }
    best = std::min(best, Now() - t0);
    for (int seq : seqs) cache.Release(seq);
  }
  return n_seq * n_gen / best;
}

// The generator end to end: 32 prompts sharing a 70-token prefix.
double EndToEnd(ce::LanguageModel* lm, int runs) {
  const uint32_t V = lm->shape().n_vocab;
  const auto head = RandomTokens(70, 7, V);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 32; ++i) {
    auto p = head;
    const auto tail = RandomTokens(31, 1000 + i, V);
    p.insert(p.end(), tail.begin() + 1, tail.end());
    prompts.push_back(p);
  }
  ce::DecodeOptions o;
  o.max_new_tokens = 40;
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    ce::Generator gen(lm, nullptr, -1, 64);
    const double t0 = Now();
    auto out = gen.Generate(prompts, o);
    Check(out.status(), "generate");
    best = std::min(best, Now() - t0);
  }
  return 32 * 40 / best;
}

ce::KvType g_kv = ce::KvType::kF16;
std::string g_columns = ",pp,tg,agg,e2e,";

bool Want(const char* column) { return g_columns.find("," + std::string(column) + ",") != std::string::npos; }

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

std::string LoadAverage() {
  FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  char buf[64] = {0};
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  std::string s(buf, n);
  const size_t sp = s.find(' ', s.find(' ', s.find(' ') + 1) + 1);
  return s.substr(0, sp);
}

Row RunModel(const std::string& path, int threads, int runs) {
  auto file = capsfusion::gguf::GgufFile::Open(path);
  Check(file.status(), path.c_str());
  ce::ThreadPool pool(threads);
  ce::ArchitectureOptions opt;
  opt.pool = &pool;
  opt.kv_type = g_kv;
  auto lm = ce::LoadLanguageModel(**file, opt);
  Check(lm.status(), path.c_str());
  ce::LanguageModel* m = lm->get();
  Row row;
  const double wall0 = Now(), cpu0 = CpuSeconds();
  const int ctx = static_cast<int>(m->context_length());
  if (Want("pp")) row.pp = PromptSpeed(m, std::min(128, ctx), runs);
  if (Want("tg")) {
    row.tg = DecodeSpeed(m, 1, 1, std::min(128, ctx - 1), runs);
  }
  if (ctx >= 140 && Want("agg")) {
    row.agg1 = DecodeSpeed(m, 1, 100, 40, runs);
    row.agg8 = DecodeSpeed(m, 8, 100, 40, runs);
    row.agg32 = DecodeSpeed(m, 32, 100, 40, runs);
  }
  if (ctx >= 140 && Want("e2e")) row.e2e32 = EndToEnd(m, runs);
  row.cpu_share = (CpuSeconds() - cpu0) / ((Now() - wall0) * threads);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  row.rss_mib = ru.ru_maxrss / 1024.0;
  if (Want("tg")) {  // after the peak RSS was taken: its buffer is not the model's
    const uint64_t bytes = WeightBytesPerToken(**file);
    const double bw = StreamBandwidth(bytes, &pool, runs);
    row.roof_gbps = bw / 1e9;
    row.roof_tps = bytes > 0 ? bw / bytes : 0;
  }
  return row;
}

std::string Cell(double v, double ref) {
  char buf[64];
  if (v <= 0) return "-";
  if (ref > 0) {
    std::snprintf(buf, sizeof buf, "%.0f (%.2fx)", v, v / ref);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  }
  return buf;
}

// "pp=14400,tg=1800,agg32=1780" (any subset; absent figures print no ratio).
bool ParseReference(const std::string& spec, Reference* ref) {
  size_t start = 0;
  while (start < spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(start, end - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return false;
    const std::string key = item.substr(0, eq);
    char* stop = nullptr;
    const double v = std::strtod(item.c_str() + eq + 1, &stop);
    if (stop == item.c_str() + eq + 1 || *stop != '\0' || !(v >= 0)) return false;
    if (key == "pp") {
      ref->pp = v;
    } else if (key == "tg") {
      ref->tg = v;
    } else if (key == "agg1") {
      ref->agg1 = v;
    } else if (key == "agg8") {
      ref->agg8 = v;
    } else if (key == "agg32") {
      ref->agg32 = v;
    } else {
      return false;
    }
    start = end + 1;
  }
  return true;
}

// Runs one row in a child process (for its own peak RSS) and prints it.
void RunRow(const std::string& name, const std::string& path, const Reference& ref, int threads, int runs) {
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    const Row r = RunModel(path, threads, runs);
    char roof[64] = "-";
    if (r.roof_tps > 0) std::snprintf(roof, sizeof roof, "%.0f (%.0f GB/s)", r.roof_tps, r.roof_gbps);
    std::printf("| %-8s | %-16s | %-15s | %-16s | %-15s | %-15s | %-15s | %8s | %7.1f | %4.0f |\n", name.c_str(),
                Cell(r.pp, ref.pp).c_str(), Cell(r.tg, ref.tg).c_str(), roof, Cell(r.agg1, ref.agg1).c_str(),
                Cell(r.agg8, ref.agg8).c_str(), Cell(r.agg32, ref.agg32).c_str(), Cell(r.e2e32, 0).c_str(), r.rss_mib,
                100 * r.cpu_share);
    std::fflush(stdout);
    std::_Exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::printf("| %-8s | failed\n", name.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, only, models_dir, name = "file", reference_label = "llama.cpp b4748 on this machine (2 threads)";
  Reference reference;
  bool reference_given = false;
  int threads = 2, runs = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "engine_bench: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--model") {
      model = next();
    } else if (a == "--threads") {
      threads = std::atoi(next().c_str());
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--only") {
      only = "," + next() + ",";
    } else if (a == "--kv") {
      const std::string kv = next();
      g_kv = kv == "f32" ? ce::KvType::kF32 : ce::KvType::kF16;
    } else if (a == "--columns") {
      g_columns = "," + next() + ",";
    } else if (a == "--models-dir") {
      models_dir = next();
    } else if (a == "--name") {
      name = next();
    } else if (a == "--reference-label") {
      reference_label = next();
    } else if (a == "--reference") {
      const std::string spec = next();
      if (!ParseReference(spec, &reference)) {
        std::fprintf(stderr, "engine_bench: --reference '%s' is not pp=N,tg=N,agg1=N,agg8=N,agg32=N\n", spec.c_str());
        return 2;
      }
      reference_given = true;
    } else {
      std::fprintf(stderr,
                   "usage: engine_bench [--model M.gguf] [--threads N] [--runs N] [--only a-F32,...] [--kv f16|f32]\n"
                   "                    [--columns pp,tg,agg,e2e] [--models-dir DIR] [--name NAME]\n"
                   "                    [--reference pp=N,tg=N,agg1=N,agg8=N,agg32=N] [--reference-label TEXT]\n");
      return 2;
    }
  }
  std::printf("engine_bench: %d threads, best of %d runs, kernels: %s, attention: %s, KV cache %s, load average %s\n",
              threads, runs, ce::KernelPathName(ce::BestPath(ce::DetectCpu())), ce::AttentionPath(),
              g_kv == ce::KvType::kF16 ? "F16" : "F32", LoadAverage().c_str());
  std::printf("reference in parentheses: ratio to %s\n\n", reference_label.c_str());
  std::printf("| %-8s | %-16s | %-15s | %-16s | %-15s | %-15s | %-15s | %8s | %7s | %4s |\n", "model", "pp128 t/s",
              "tg t/s", "tg roof", "agg@1 t/s", "agg@8 t/s", "agg@32 t/s", "e2e@32", "RSS MiB", "CPU%");
  std::printf("|----------|------------------|-----------------|------------------|-----------------|"
              "-----------------|-----------------|----------|---------|------|\n");
  if (!model.empty()) {
    RunRow(name, model, reference, threads, runs);
    std::printf("\nload average after: %s\n", LoadAverage().c_str());
    return 0;
  }
  char dir_tmpl[] = "/tmp/engine-bench-XXXXXX";
  const bool keep = !models_dir.empty();
  if (keep && mkdir(models_dir.c_str(), 0755) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "engine_bench: cannot create %s: %s\n", models_dir.c_str(), std::strerror(errno));
    return 1;
  }
  const char* dir = keep ? models_dir.c_str() : mkdtemp(dir_tmpl);
  if (dir == nullptr) return 1;
  for (const Case& c : Cases()) {
    if (!only.empty() && only.find("," + c.name + ",") == std::string::npos) continue;
    const std::string path = std::string(dir) + "/" + c.name + ".gguf";
    Check(ce::MakeRandomLlama(c.cfg).Write(path), path.c_str());
    RunRow(c.name, path, reference_given ? reference : c.ref, threads, runs);
    if (!keep) std::remove(path.c_str());
  }
  if (!keep) rmdir(dir);
  std::printf("\nload average after: %s\n", LoadAverage().c_str());
  return 0;
}
