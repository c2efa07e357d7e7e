#include "engine/tuned_decoding.h"

#include <cmath>

#include "engine/generator.h"
#include "engine/model_loader.h"
#include "gguf/gguf.h"

namespace capsfusion::engine {

Status ValidateTunedDecoding(const TunedDecoding& t) {
  if (t.num_beams && (*t.num_beams < 1 || *t.num_beams > kMaxBeams)) {
    return Status::InvalidArgument("num_beams must be in [1, " + std::to_string(kMaxBeams) + "]");
  }
  if (t.length_penalty && !(std::isfinite(*t.length_penalty) && std::fabs(*t.length_penalty) <= 100)) {
    return Status::InvalidArgument("length_penalty must be a number in [-100, 100]");
  }
  if (t.span_bonus && !(std::isfinite(*t.span_bonus) && *t.span_bonus >= 0 && *t.span_bonus <= 100)) {
    return Status::InvalidArgument("span_bonus must be in [0, 100]");
  }
  if (t.span_min_match && (*t.span_min_match < 1 || *t.span_min_match > 32)) {
    return Status::InvalidArgument("span_min_match must be in [1, 32]");
  }
  if (t.expected_length) {
    for (float x : *t.expected_length) {
      if (!(std::isfinite(x) && std::fabs(x) <= 1000)) {
        return Status::InvalidArgument("expected_length must be three numbers in [-1000, 1000]");
      }
    }
  }
  if (t.min_length_ratio && !(std::isfinite(*t.min_length_ratio) && *t.min_length_ratio >= 0 &&
                              *t.min_length_ratio <= 10)) {
    return Status::InvalidArgument("min_length_ratio must be in [0, 10]");
  }
  if (t.beam_choice && *t.beam_choice != "model" && *t.beam_choice != "consensus") {
    return Status::InvalidArgument("beam_choice must be model or consensus");
  }
  if (t.consensus_source_weight && !(std::isfinite(*t.consensus_source_weight) && *t.consensus_source_weight >= 0 &&
                                     *t.consensus_source_weight <= 100)) {
    return Status::InvalidArgument("consensus_source_weight must be in [0, 100]");
  }
  return Status::OK();
}

Status WriteWithTunedDecoding(const std::string& input, const std::string& output, const TunedDecoding& tuned) {
  CF_RETURN_IF_ERROR(ValidateTunedDecoding(tuned));
  auto file = gguf::GgufFile::Open(input);
  if (!file.ok()) return file.status();
  const gguf::GgufFile& f = **file;
  gguf::GgufWriter w;
  for (const std::string& key : f.keys()) w.Set(key, *f.Find(key));
  if (tuned.num_beams) w.SetUint32(kRecommendedBeamsKey, static_cast<uint32_t>(*tuned.num_beams));
  if (tuned.length_penalty) w.SetFloat32(kRecommendedLengthPenaltyKey, *tuned.length_penalty);
  if (tuned.span_bonus) w.SetFloat32(kRecommendedSpanBonusKey, *tuned.span_bonus);
  if (tuned.span_min_match) w.SetUint32(kRecommendedSpanMinMatchKey, static_cast<uint32_t>(*tuned.span_min_match));
  if (tuned.expected_length) {
    w.SetFloat32Array(kRecommendedExpectedLengthKey,
                      std::vector<float>(tuned.expected_length->begin(), tuned.expected_length->end()));
  }
  if (tuned.min_length_ratio) w.SetFloat32(kRecommendedMinLengthRatioKey, *tuned.min_length_ratio);
  if (tuned.beam_choice) w.SetString(kRecommendedBeamChoiceKey, *tuned.beam_choice);
  if (tuned.consensus_source_weight) {
    w.SetFloat32(kRecommendedConsensusSourceWeightKey, *tuned.consensus_source_weight);
  }
  for (const gguf::TensorInfo& t : f.tensors()) {
    CF_RETURN_IF_ERROR(w.AddTensor(t.name, t.type, t.shape, t.data, t.n_bytes).WithContext(input));
  }
  return w.WriteFile(output);
}

}  // namespace capsfusion::engine
