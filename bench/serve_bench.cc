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
// of a request, and the aggregate generated tokens/s. The last line is the
// engine's own batched figure in the same run: Model::Generate of 32 prompts
// at once (the same prompts and settings, greedy), new tokens/s, and each
// row's tokens/s as a share of it. Without a model file the bench writes a
// random LLaMA (4 layers, width 256, vocabulary 4000): its outputs are noise,
// its speed is that of a small real model.
#include <httplib.h>

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

struct Row {
  int clients = 0;
  size_t requests = 0, errors = 0;
  double seconds = 0, p50 = 0, p99 = 0;
  uint64_t tokens = 0;
};

Row Load(int port, int clients, double seconds, int max_tokens, bool stream) {
  Row row;
  row.clients = clients;
  std::vector<std::vector<double>> latencies(clients);
  std::vector<uint64_t> tokens(clients, 0);
  std::vector<size_t> errors(clients, 0);
  std::atomic<size_t> next{0};
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
  std::printf("engine threads: %d, max_tokens %d, %s, %.0f s per row, max batch %zu\n\n", threads, max_tokens,
              stream ? "streamed" : "whole responses", seconds, so.max_batch);
  Load(port, 1, 0.5, max_tokens, stream);  // warm-up

  std::vector<Row> rows;
  for (int c : levels) rows.push_back(Load(port, c, seconds, max_tokens, stream));
  (*server)->Stop();
  serving.join();
  server->reset();

  // The engine's own batched figure, same run: 32 prompts in one Generate call.
  capsfusion::ModelOptions mo;
  mo.threads = threads;
  mo.hash_file = false;
  mo.max_batch = 32;
  auto m = capsfusion::Model::Load(model, mo);
  if (!m.ok()) return 1;
  std::vector<std::string> prompts;
  for (size_t i = 0; i < 32; ++i) prompts.push_back(Prompt(1000 + i));
  capsfusion::GenerateOptions go;
  go.max_new_tokens = max_tokens;
  go.share_prefix = false;  // the server does not share prefixes either
  uint64_t engine_tokens = 0;
  const Clock::time_point e0 = Clock::now();
  double engine_s = 0;
  do {
    auto out = (*m)->Generate(prompts, go);
    if (!out.ok()) return 1;
    for (const auto& g : *out) engine_tokens += g.tokens.size();
    engine_s = std::chrono::duration<double>(Clock::now() - e0).count();
  } while (engine_s < std::min(seconds, 3.0));
  const double engine_tps = static_cast<double>(engine_tokens) / engine_s;

  std::printf("%8s %9s %7s %9s %9s %9s %12s %10s\n", "clients", "requests", "errors", "req/s", "p50 ms", "p99 ms",
              "tokens/s", "vs engine");
  for (const Row& r : rows) {
    const double tps = static_cast<double>(r.tokens) / r.seconds;
    std::printf("%8d %9zu %7zu %9.2f %9.1f %9.1f %12.1f %9.0f%%\n", r.clients, r.requests, r.errors,
                static_cast<double>(r.requests) / r.seconds, r.p50 * 1e3, r.p99 * 1e3, tps, 100.0 * tps / engine_tps);
  }
  std::printf("%8s %9s %7s %9s %9s %9s %12.1f %10s\n", "engine", "32/call", "-", "-", "-", "-", engine_tps, "100%");
  std::printf("\n(engine: Model::Generate of 32 prompts per call, %llu new tokens in %.2f s)\n",
              static_cast<unsigned long long>(engine_tokens), engine_s);
  if (!temp_model.empty()) std::remove(temp_model.c_str());
  return 0;
}
