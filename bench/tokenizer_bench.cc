// LlamaTokenizer throughput: captions/s and MB/s encoding the CapsFusion dev
// captions (../shared/data/capsfusion/dev.json; generated captions when absent)
// with a 4000-piece model trained at start-up on the train captions, next to
// libsentencepiece encoding the same text with the same model.
//
//   build/bench/tokenizer_bench [--benchmark_filter=Encode]
// items_per_second is captions/s; bytes_per_second is input text per second.
#include <benchmark/benchmark.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "tokenizer/llama_tokenizer.h"
#include "tokenizer/spm_model.h"

namespace capsfusion {
namespace {

std::vector<std::string> LoadCaptions(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  const nlohmann::json rows = nlohmann::json::parse(in, nullptr, false);
  if (!rows.is_array()) return out;
  for (const auto& row : rows) {
    if (!row.is_object()) continue;
    for (const char* field : {"laion_2b", "laion_coco", "capsfuion_official"}) {
      const auto it = row.find(field);
      if (it != row.end() && it->is_string()) out.push_back(it->get<std::string>());
    }
  }
  return out;
}

// Caption-like lines when the shared data is absent.
std::vector<std::string> GeneratedCaptions(size_t n, uint32_t seed) {
  static const char* kWords[] = {"a", "the", "photo", "of", "woman", "man", "standing", "in", "front", "red",
                                 "car", "with", "dog", "on", "beach", "at", "sunset", "2019", "HD", "caf\xC3\xA9",
                                 "wedding", "dress", "vintage", "poster", "illustration", "\xE4\xB8\xAD"};
  std::mt19937 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    std::string line;
    const size_t words = 5 + rng() % 25;
    for (size_t w = 0; w < words; ++w) {
      if (w) line += ' ';
      line += kWords[rng() % (sizeof kWords / sizeof *kWords)];
    }
    out.push_back(line + ".");
  }
  return out;
}

class SentenceList : public sentencepiece::SentenceIterator {
 public:
  explicit SentenceList(const std::vector<std::string>& s) : s_(s) {}
  bool done() const override { return i_ >= s_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return s_[i_]; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  const std::vector<std::string>& s_;
  size_t i_ = 0;
};

struct Setup {
  std::vector<std::string> captions;  // what is encoded
  size_t bytes = 0;
  std::string long_text;              // 100 KB of captions joined by spaces
  sentencepiece::SentencePieceProcessor sp;
  std::unique_ptr<LlamaTokenizer> tok;
  bool ok = false;
};

const Setup& GetSetup() {
  static Setup* setup = [] {
    auto* s = new Setup;
    const std::string dir = std::string(CAPSFUSION_SOURCE_DIR) + "/../shared/data/capsfusion/";
    std::vector<std::string> train = LoadCaptions(dir + "train.json");
    s->captions = LoadCaptions(dir + "dev.json");
    const bool real = !train.empty() && !s->captions.empty();
    if (!real) {
      train = GeneratedCaptions(24000, 1);
      s->captions = GeneratedCaptions(3000, 2);
    }
    std::fprintf(stderr, "tokenizer_bench: %zu %s captions to encode\n", s->captions.size(),
                 real ? "dev.json" : "generated");
    for (const auto& c : s->captions) s->bytes += c.size();
    while (s->long_text.size() < 100 * 1024) s->long_text += s->captions[s->long_text.size() % s->captions.size()] + " ";
    // kLlamaSpmTrainerFlags, plus the size and quiet logs.
    std::unordered_map<std::string, std::string> flags;
    std::istringstream words(std::string(kLlamaSpmTrainerFlags) + " --vocab_size=4000 --minloglevel=2");
    for (std::string w; words >> w;) {
      const size_t eq = w.find('=');
      flags[w.substr(2, eq - 2)] = w.substr(eq + 1);
    }
    SentenceList it(train);
    std::string model;
    const auto st = sentencepiece::SentencePieceTrainer::Train(flags, &it, &model);
    if (!st.ok() || !s->sp.LoadFromSerializedProto(model).ok()) {
      std::fprintf(stderr, "tokenizer_bench: training failed: %s\n", st.ToString().c_str());
      return s;
    }
    auto vocab = LlamaVocabFromSentencePiece(model);
    if (!vocab.ok()) return s;
    auto tok = LlamaTokenizer::Create(std::move(*vocab));
    if (!tok.ok()) return s;
    s->tok = std::move(*tok);
    s->ok = true;
    return s;
  }();
  return *setup;
}

void BM_LlamaEncodeCaptions(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) return state.SkipWithError("no model");
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& c : s.captions) {
      auto ids = s.tok->Encode(c, true);
      tokens += ids.size();
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.captions.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
  state.counters["tokens/caption"] = static_cast<double>(tokens) / (state.iterations() * s.captions.size());
}
BENCHMARK(BM_LlamaEncodeCaptions)->Unit(benchmark::kMillisecond);

void BM_SentencePieceEncodeCaptions(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) return state.SkipWithError("no model");
  for (auto _ : state) {
    for (const auto& c : s.captions) {
      std::vector<int> ids;
      s.sp.Encode(c, &ids).IgnoreError();
      benchmark::DoNotOptimize(ids.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.captions.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}
BENCHMARK(BM_SentencePieceEncodeCaptions)->Unit(benchmark::kMillisecond);

void BM_LlamaDecodeCaptions(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) return state.SkipWithError("no model");
  std::vector<std::vector<int32_t>> encoded;
  for (const auto& c : s.captions) encoded.push_back(s.tok->Encode(c, true));
  for (auto _ : state) {
    for (const auto& ids : encoded) {
      std::string text = s.tok->Decode(ids);
      benchmark::DoNotOptimize(text.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.captions.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.bytes));
}
BENCHMARK(BM_LlamaDecodeCaptions)->Unit(benchmark::kMillisecond);

void BM_LlamaEncode100KB(benchmark::State& state) {
  const Setup& s = GetSetup();
  if (!s.ok) return state.SkipWithError("no model");
  for (auto _ : state) {
    auto ids = s.tok->Encode(s.long_text, true);
    benchmark::DoNotOptimize(ids.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.long_text.size()));
}
BENCHMARK(BM_LlamaEncode100KB)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace capsfusion

BENCHMARK_MAIN();
