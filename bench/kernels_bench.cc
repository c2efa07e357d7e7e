// Throughput of the engine kernels, per weight type, kernel path and thread
// count, for the matrix shapes of a small LLaMA model.
//
//   build/bench/kernels_bench                       # everything
//   build/bench/kernels_bench --benchmark_filter=Q4_0/avx512
//   build/bench/kernels_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// The machine is shared: take medians (or minima) over repetitions.
//
// Names read MatMul/<type>/<path>/<rows>x<cols>/tokens:<n>/threads:<t>, where
// <path> is generic, avx2, avx512 or avx512-packed (PackedWeights). Counters:
// GFLOPs (2 flops per multiply-add), wGBps (weight bytes read per second, the
// figure that matters for single-token decoding) and x_ref (speed-up over
// ref::MatMul for the same shape, measured in the same run).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "engine/kernel_table.h"
#include "engine/kernels.h"
#include "engine/packed_weights.h"
#include "engine/thread_pool.h"

namespace capsfusion::engine {
namespace {

struct Shape {
  int64_t rows, cols;
};
constexpr Shape kShapes[] = {{256, 256}, {768, 256}, {256, 768}, {8000, 256}, {512, 1536}};
constexpr int64_t kTokens[] = {1, 8, 32, 128};
constexpr TensorType kTypes[] = {TensorType::kF32, TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0};

const char* TypeName(TensorType t) {
  switch (t) {
    case TensorType::kF32: return "F32";
    case TensorType::kF16: return "F16";
    case TensorType::kQ8_0: return "Q8_0";
    case TensorType::kQ4_0: return "Q4_0";
  }
  return "?";
}

//! Weights and activations of one (type, shape), built once and shared.
struct Operands {
  std::vector<uint8_t> w;
  std::vector<float> x;
  WeightView view;
};

const Operands& GetOperands(TensorType type, Shape s) {
  static std::map<std::tuple<int, int64_t, int64_t>, std::unique_ptr<Operands>> cache;
  auto& slot = cache[{static_cast<int>(type), s.rows, s.cols}];
  if (!slot) {
    slot = std::make_unique<Operands>();
    std::mt19937 rng(42);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    std::vector<float> row(s.cols);
    const int64_t rb = WeightRowBytes(type, s.cols);
    slot->w.resize(s.rows * rb);
    for (int64_t r = 0; r < s.rows; ++r) {
      for (auto& v : row) v = dist(rng);
      gguf::QuantizeRow(type, row.data(), slot->w.data() + r * rb, s.cols);
    }
    slot->x.resize(128 * s.cols);
    for (auto& v : slot->x) v = dist(rng);
    slot->view = WeightView{type, slot->w.data(), s.rows, s.cols};
  }
  return *slot;
}

ThreadPool* Pool(int threads) {
  static ThreadPool pool1(1), pool2(2);
  return threads == 1 ? &pool1 : &pool2;
}

//! Seconds per call of ref::MatMul for (type, shape, tokens), timed once on
//! first use (best of up to 3 calls; the reference is slow).
double RefSeconds(TensorType type, Shape s, int64_t tokens) {
  static std::map<std::tuple<int, int64_t, int64_t, int64_t>, double> times;
  auto key = std::make_tuple(static_cast<int>(type), s.rows, s.cols, tokens);
  auto it = times.find(key);
  if (it != times.end()) return it->second;
  const Operands& op = GetOperands(type, s);
  std::vector<float> y(tokens * s.rows);
  double best = 1e30;
  const int reps = tokens * s.rows * s.cols > (int64_t{1} << 24) ? 1 : 3;
  for (int rep = 0; rep < reps; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    ref::MatMul(op.view, op.x.data(), tokens, y.data(), nullptr);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
  }
  times[key] = best;
  return best;
}

void SetCounters(benchmark::State& state, TensorType type, Shape s, int64_t tokens) {
  const double flops = 2.0 * s.rows * s.cols * tokens;
  const double bytes = static_cast<double>(s.rows) * WeightRowBytes(type, s.cols);
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["wGBps"] =
      benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Fast(benchmark::State& state, const KernelTable* k, TensorType type, Shape s, int64_t tokens,
             int threads, bool packed) {
  const Operands& op = GetOperands(type, s);
  std::vector<float> y(tokens * s.rows);
  ThreadPool* pool = Pool(threads);
  const PackedWeights pw(op.view, *k);
  MatMulOperand operand;
  operand.view = op.view;
  operand.packed = packed ? pw.data() : nullptr;
  float* yp = y.data();
  const double ref_seconds = RefSeconds(type, s, tokens);
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    MatMulOperandsWith(*k, &operand, 1, op.x.data(), tokens, &yp, pool);
    benchmark::DoNotOptimize(y.data());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  SetCounters(state, type, s, tokens);
  if (state.iterations() > 0) state.counters["x_ref"] = ref_seconds / (seconds / state.iterations());
}

void BM_ParallelForOverhead(benchmark::State& state) {
  ThreadPool* pool = Pool(static_cast<int>(state.range(0)));
  std::atomic<int64_t> sink{0};
  for (auto _ : state) {
    pool->ParallelFor(64, [&](int64_t b, int64_t e) { sink.fetch_add(e - b, std::memory_order_relaxed); });
  }
  benchmark::DoNotOptimize(sink.load());
}

void BM_Quantize(benchmark::State& state, const KernelTable* k) {
  const int64_t cols = 256, tokens = state.range(0);
  const Operands& op = GetOperands(TensorType::kF32, {1, cols});
  for (auto _ : state) {
    QuantizedActs qa = QuantizeActivations(*k, op.x.data(), tokens, cols, nullptr);
    benchmark::DoNotOptimize(qa.q);
  }
  state.SetItemsProcessed(state.iterations() * tokens * cols);
}

void RegisterAll() {
  std::vector<const KernelTable*> paths;
  for (KernelPath p : {KernelPath::kGeneric, KernelPath::kAvx2, KernelPath::kAvx512}) {
    if (const KernelTable* k = KernelsFor(p)) paths.push_back(k);
  }
  benchmark::RegisterBenchmark("ParallelFor/empty", BM_ParallelForOverhead)->Arg(1)->Arg(2)->UseRealTime();
  for (const KernelTable* k : paths) {
    benchmark::RegisterBenchmark((std::string("QuantizeAct/") + KernelPathName(k->path)).c_str(), BM_Quantize, k)
        ->Arg(1)
        ->Arg(128);
  }
  for (TensorType type : kTypes) {
    for (Shape s : kShapes) {
      for (int64_t tokens : kTokens) {
        const std::string shape = std::to_string(s.rows) + "x" + std::to_string(s.cols) + "/tokens:" +
                                  std::to_string(tokens);
        for (const KernelTable* k : paths) {
          const bool can_pack = k->packed_bytes != nullptr && k->packed_bytes(type, 8, s.cols) > 0;
          for (bool packed : {false, true}) {
            if (packed && !can_pack) continue;
            for (int threads : {1, 2}) {
              const std::string name = "MatMul/" + std::string(TypeName(type)) + "/" + KernelPathName(k->path) +
                                       (packed ? "-packed/" : "/") + shape + "/threads:" + std::to_string(threads);
              benchmark::RegisterBenchmark(name.c_str(), BM_Fast, k, type, s, tokens, threads, packed)->UseRealTime();
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace capsfusion::engine

int main(int argc, char** argv) {
  using namespace capsfusion::engine;
  benchmark::Initialize(&argc, argv);
  std::printf("cpu: %s; active path: %s\n", CpuFeaturesString(DetectCpu()).c_str(),
              KernelPathName(ActiveKernels().path));
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
