// Opening a GGUF model: the file, the thread pool, the network of the
// registered architecture, the tokenizer and the public ModelInfo. Shared by
// Model (batch generation) and ServingEngine (the server's incremental
// scheduler), which both own what this returns.
#pragma once

#include <memory>
#include <string>

#include "capsfusion/engine.h"
#include "engine/generator.h"
#include "engine/language_model.h"
#include "engine/thread_pool.h"
#include "gguf/gguf.h"
#include "tokenizer/llama_tokenizer.h"

namespace capsfusion::engine {

//! Everything a loaded model consists of (declaration order is destruction
//! order in reverse: the network outlives nothing it points to).
struct LoadedModel {
  std::unique_ptr<gguf::GgufFile> file;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<LanguageModel> lm;
  std::unique_ptr<LlamaTokenizer> tokenizer;
  ModelInfo info;
};

//! The engine's decoding settings for the public ones.
DecodeOptions ToDecodeOptions(const GenerateOptions& options);

//! GGUF metadata key of the beam width a model was tuned for (ModelInfo::recommended_num_beams).
constexpr const char* kRecommendedBeamsKey = "capsfusion.decoding.num_beams";
//! GGUF metadata keys of the other decoding settings a model was tuned for (ModelInfo).
constexpr const char* kRecommendedLengthPenaltyKey = "capsfusion.decoding.length_penalty";
constexpr const char* kRecommendedSpanBonusKey = "capsfusion.decoding.span_bonus";
constexpr const char* kRecommendedSpanMinMatchKey = "capsfusion.decoding.span_min_match";
//! Float32 array [a, b, c]: expected fused words ~ a + b x raw words + c x synthetic words.
constexpr const char* kRecommendedExpectedLengthKey = "capsfusion.decoding.expected_length";
//! Float32: fuse takes the best beam with at least this share of the expected words.
constexpr const char* kRecommendedMinLengthRatioKey = "capsfusion.decoding.min_length_ratio";
//! String "model" or "consensus": fuse's order of the finished beams (fuse --beam-choice).
constexpr const char* kRecommendedBeamChoiceKey = "capsfusion.decoding.beam_choice";
//! Float32: weight of the closeness to the sources in the consensus choice.
constexpr const char* kRecommendedConsensusSourceWeightKey = "capsfusion.decoding.consensus_source_weight";

//! The beam width the GGUF file at `path` recommends (kRecommendedBeamsKey),
//! read from its header alone; 0 when it names none or cannot be read (loading
//! the file reports why). Lets a caller size batches before loading.
int PeekRecommendedBeams(const std::string& path);

//! Maps and checks the file at `path` and builds the model.
StatusOr<std::unique_ptr<LoadedModel>> LoadModel(const std::string& path, const ModelOptions& options);

}  // namespace capsfusion::engine
