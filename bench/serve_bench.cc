// serve_bench: load test of `capsfusion serve`, printed as a table (never
// pass/fail; the machine is shared, so compare rows of one run only).
//
//   build/bench/serve_bench                         # $CAPSFUSION_MODEL, the default model, or a random LLaMA
//   build/bench/serve_bench --model m.gguf --seconds 10 --concurrency 1,8,32
//   options: --threads N (engine threads, default 2), --max-tokens N (default 32),
//            --seconds S per row (default 5), --stream (server-sent events)
//
// The server runs in this process on a loopback port (the real ApiServer:
// HTTP, JSON, scheduler); C client threads each send one request after the
// other (keep-alive) for --seconds. Per row: requests/s, p50 and p99 latency
// of a request, and the aggregate generated tokens/s; then the engine's own
// batched figure, measured right after the row in the same process:
// Model::Generate of 32 prompts at once (the same kind of prompts and
// settings, greedy), new tokens/s, and the row's tokens/s as a share of it.
// Both are also given per CPU second of this process (server, engine and
// client threads together): on a shared machine, where the CPU time a process
// gets changes from second to second, that figure moves less. Without a model file the bench writes a
// random LLaMA (4 layers, width 256, vocabulary 4000): its outputs are noise,
// its speed is that of a small real model.
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "capsfusion/api_server.h"
#include "capsfusion/engine.h"
#include "engine/random_llama.h"
#include "fuse/model_fuser.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

const char* kCaptions[] = {
    "a dog sitting on a red sofa in the living room",     "two cats sleeping on a white bed",
    "a man riding a bike down a city street at night",    "a small black car parked next to a tree",
    "a woman with an umbrella walking in the rain",       "a plate of food with rice and vegetables",
    "an old church with a tall tower under a blue sky",   "a group of people standing on a beach at sunset",
};

std::string Prompt(size_t i) {
  const size_t n = sizeof kCaptions / sizeof kCaptions[0];
  return std::string("Sentence 1: ") + kCaptions[i % n] + " photo stock image " + std::to_string(i) +
         "\nSentence 2: " + kCaptions[(i + 3) % n] + "\nNew Sentence:";
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[k];
}

// CPU seconds this process has used (all threads: server, engine, clients).
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

struct Row {
  int clients = 0;
  size_t requests = 0, errors = 0;
  double seconds = 0, cpu_seconds = 0, p50 = 0, p99 = 0;
  uint64_t tokens = 0;
};

Row Load(int port, int clients, double seconds, int max_tokens, bool stream) {
  Row row;
  row.clients = clients;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<uint64_t> tokens(clients, 0);
  std::vector<size_t> errors(clients, 0);
  std::atomic<size_t> next{0};
  const double cpu0 = CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_keep_alive(true);
      cli.set_read_timeout(300);
      while (Clock::now() < end) {
        const size_t i = next++;
        json body = {{"prompt", Prompt(i)}, {"max_tokens", max_tokens}, {"temperature", 0}};
        if (stream) body["stream"] = true, body["stream_options"] = {{"include_usage", true}};
        const Clock::time_point s = Clock::now();
        auto res = cli.Post("/v1/completions", body.dump(), "application/json");
        const double dt = std::chrono::duration<double>(Clock::now() - s).count();
        if (!res || res->status != 200) {
          ++errors[c];
          continue;
        }
        latencies[c].push_back(dt);
        if (stream) {
          const size_t at = res->body.rfind("\"completion_tokens\":");
          if (at != std::string::npos) tokens[c] += std::strtoull(res->body.c_str() + at + 20, nullptr, 10);
        } else {
          tokens[c] += json::parse(res->body)["usage"]["completion_tokens"].get<uint64_t>();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  row.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  row.cpu_seconds = CpuSeconds() - cpu0;
  std::vector<double> all;
  for (int c = 0; c < clients; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    row.tokens += tokens[c];
    row.errors += errors[c];
  }
  row.requests = all.size();
  row.p50 = Percentile(all, 0.50);
  row.p99 = Percentile(all, 0.99);
  return row;
}

// The 1-minute load average (other processes on a shared machine).
double LoadAverage() {
  double v = -1;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &v) != 1) v = -1;
    std::fclose(f);
  }
  return v;
}

std::vector<int> ParseList(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    p = std::strchr(p, ',');
    if (!p) break;
    ++p;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model;
  int threads = 2, max_tokens = 32;
  double seconds = 5;
  bool stream = false;
  std::vector<int> levels = {1, 8, 32};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has = i + 1 < argc;
    if (a == "--model" && has) {
      model = argv[++i];
    } else if (a == "--threads" && has) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--max-tokens" && has) {
      max_tokens = std::atoi(argv[++i]);
    } else if (a == "--seconds" && has) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--concurrency" && has) {
      levels = ParseList(argv[++i]);
    } else if (a == "--stream") {
      stream = true;
    } else {
      std::fprintf(stderr,
                   "usage: serve_bench [--model M.gguf] [--threads N] [--max-tokens N] [--seconds S] "
                   "[--concurrency 1,8,32] [--stream]\n");
      return 2;
    }
  }
  if (model.empty()) {
    if (const char* env = std::getenv("CAPSFUSION_MODEL"); env != nullptr && *env) model = env;
  }
  if (model.empty()) model = capsfusion::FindDefaultModel(CAPSFUSION_SOURCE_DIR "/build");
  std::string temp_model;
  if (model.empty()) {
    capsfusion::engine::RandomLlamaConfig c;
    c.n_layer = 4;
    c.n_embd = 256;
    c.n_head = 8;
    c.n_head_kv = 4;
    c.n_ff = 688;
    c.n_vocab = 4000;
    c.n_ctx = 512;
    temp_model = "/tmp/serve_bench_" + std::to_string(::getpid()) + ".gguf";
    if (!capsfusion::engine::MakeRandomLlama(c).Write(temp_model).ok()) return 1;
    model = temp_model;
    std::printf("model: random LLaMA (4 layers, width 256, vocabulary 4000, F32)\n");
  } else {
    std::printf("model: %s\n", model.c_str());
  }
  const size_t max_batch = static_cast<size_t>(*std::max_element(levels.begin(), levels.end()));

  capsfusion::ServerOptions so;
  so.model_path = model;
  so.model.threads = threads;
  so.model.hash_file = false;
  so.max_batch = std::max<size_t>(max_batch, 32);
  so.port = 0;
  auto server = capsfusion::ApiServer::Open(so);
  if (!server.ok()) {
    std::fprintf(stderr, "serve_bench: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!(*server)->Bind().ok()) return 1;
  std::thread serving([&] { (void)(*server)->Serve(); });
  const int port = (*server)->port();
  std::printf("engine threads: %d, max_tokens %d, %s, %.0f s per row, max batch %zu; load average %.2f\n\n",
              threads, max_tokens, stream ? "streamed" : "whole responses", seconds, so.max_batch, LoadAverage());
  Load(port, 1, 0.5, max_tokens, stream);  // warm-up

  // The engine's own batched figure, measured right after each row (the
  // machine is shared: adjacent measurements compare best): 32 prompts in one
  // Generate call, the same settings, no prefix sharing (the prompts share little).
  capsfusion::ModelOptions mo;
  mo.threads = threads;
  mo.hash_file = false;
  mo.max_batch = 32;
  auto m = capsfusion::Model::Load(model, mo);
  if (!m.ok()) {
    std::fprintf(stderr, "serve_bench: %s\n", m.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> prompts;
  for (size_t i = 0; i < 32; ++i) prompts.push_back(Prompt(1000 + i));
  capsfusion::GenerateOptions go;
  go.max_new_tokens = max_tokens;
  go.share_prefix = false;
  // New tokens per wall second and per CPU second of this process.
  auto engine_rate = [&](double* per_cpu) -> double {
    uint64_t tokens = 0;
    const double c0 = CpuSeconds();
    const Clock::time_point e0 = Clock::now();
    double s = 0;
    do {
      auto out = (*m)->Generate(prompts, go);
      if (!out.ok()) return 0;
      for (const auto& g : *out) tokens += g.tokens.size();
      s = std::chrono::duration<double>(Clock::now() - e0).count();
    } while (s < std::min(seconds, 3.0));
    *per_cpu = static_cast<double>(tokens) / std::max(1e-9, CpuSeconds() - c0);
    return static_cast<double>(tokens) / s;
  };

  std::printf("%7s %8s %6s %8s %8s %8s %9s %9s %9s %9s %8s %8s\n", "clients", "requests", "errors", "req/s", "p50 ms",
              "p99 ms", "tok/s", "tok/cpu-s", "eng tok/s", "eng/cpu-s", "vs eng", "vs eng");
  std::printf("%7s %8s %6s %8s %8s %8s %9s %9s %9s %9s %8s %8s\n", "", "", "", "", "", "", "", "", "", "", "(wall)",
              "(cpu)");
  for (int c : levels) {
    const Row r = Load(port, c, seconds, max_tokens, stream);
    double engine_cpu = 0;
    const double engine_tps = engine_rate(&engine_cpu);
    const double tps = static_cast<double>(r.tokens) / r.seconds;
    const double tpc = static_cast<double>(r.tokens) / std::max(1e-9, r.cpu_seconds);
    std::printf("%7d %8zu %6zu %8.2f %8.1f %8.1f %9.1f %9.1f %9.1f %9.1f %7.0f%% %7.0f%%\n", r.clients, r.requests,
                r.errors, static_cast<double>(r.requests) / r.seconds, r.p50 * 1e3, r.p99 * 1e3, tps, tpc, engine_tps,
                engine_cpu, engine_tps > 0 ? 100.0 * tps / engine_tps : 0.0,
                engine_cpu > 0 ? 100.0 * tpc / engine_cpu : 0.0);
    std::fflush(stdout);
  }
  std::printf("\n(eng: Model::Generate of 32 prompts per call, measured right after each row; cpu-s: CPU seconds\n"
              " of this process, clients included, which other jobs on the machine disturb less than wall time;\n"
              " load average %.2f)\n", LoadAverage());
  (*server)->Stop();
  serving.join();
  server->reset();
  if (!temp_model.empty()) std::remove(temp_model.c_str());
  return 0;
}
