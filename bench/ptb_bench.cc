// Throughput of the PTB tokenizer port (captions per second), one caption at
// a time and as one batch stream, on a fixed set of web-style captions.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "capsfusion/metrics.h"

namespace {

std::vector<std::string> Captions() {
  const std::vector<std::string> base = {
      "The North Face men's jacket in black size medium.",
      "An airport train passenger passes through the turnstile at Sudirman Baru Station on "
      "Wednesday (27/12). (JG Photo/Yudha Baskoro)",
      "T04E T3/T4 .63A/R TURBO TURBOCHARGER COMPRESSOR 420+HP INTERNAL WASTEGATE V-BAND",
      "Hey, I found this really awesome Etsy listing at https://www.etsy.com/listing/85023473/x",
      "THE ORIENT EXPRESS COLLECTION<br/>TSARINA COLLAR NECKLACE",
      "\xE2\x80\x9C" "Change Over Time\xE2\x80\x9D by Sonic Liberation Front \xE2\x80\x94 U.S. tour",
      "21.8 cu. ft. French Door Refrigerator with External Water Dispenser in Stainless Steel",
      "A woman can't stop smiling at Hotels.com; she's 5'11\" tall!!!",
  };
  std::vector<std::string> out;
  for (int i = 0; i < 125; ++i) out.insert(out.end(), base.begin(), base.end());
  return out;
}

void BM_PtbTokenizeEach(benchmark::State& state) {
  const std::vector<std::string> caps = Captions();
  for (auto _ : state) {
    for (const std::string& c : caps) benchmark::DoNotOptimize(capsfusion::PtbTokenize(c));
  }
  state.SetItemsProcessed(state.iterations() * caps.size());
}
BENCHMARK(BM_PtbTokenizeEach);

void BM_PtbTokenizeBatch(benchmark::State& state) {
  const std::vector<std::string> caps = Captions();
  for (auto _ : state) benchmark::DoNotOptimize(capsfusion::PtbTokenizeBatch(caps));
  state.SetItemsProcessed(state.iterations() * caps.size());
}
BENCHMARK(BM_PtbTokenizeBatch);

}  // namespace

BENCHMARK_MAIN();
