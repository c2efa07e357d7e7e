// The local backend: our engine on a GGUF file behind the Backend interface.
#include <utility>

#include "capsfusion/backend.h"

namespace capsfusion {

namespace {

class LocalBackend final : public Backend {
 public:
  LocalBackend(std::unique_ptr<Model> model, size_t preferred_batch)
      : model_(std::move(model)), preferred_batch_(preferred_batch == 0 ? 1 : preferred_batch) {
    const ModelInfo& m = model_->info();
    info_.kind = "local";
    info_.model = m.name;
    info_.model_sha256 = m.file_sha256;
    info_.prompt_template = m.prompt_template;
    info_.recommended_num_beams = m.recommended_num_beams;
    info_.recommended_length_penalty = m.recommended_length_penalty;
    info_.recommended_span_bonus = m.recommended_span_bonus;
    info_.recommended_span_min_match = m.recommended_span_min_match;
    info_.recommended_expected_length = m.recommended_expected_length;
    info_.recommended_min_length_ratio = m.recommended_min_length_ratio;
    info_.recommended_beam_choice = m.recommended_beam_choice;
    info_.recommended_consensus_source_weight = m.recommended_consensus_source_weight;
  }

  const BackendInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return model_->tokenizer(); }
  size_t preferred_batch() const override { return preferred_batch_; }

  StatusOr<std::vector<BackendResult>> Generate(const std::vector<std::string>& prompts,
                                                const GenerateOptions& options) override {
    auto gens = model_->Generate(prompts, options);
    if (!gens.ok()) return gens.status();
    std::vector<BackendResult> out(gens->size());
    for (size_t i = 0; i < out.size(); ++i) out[i].generation = std::move((*gens)[i]);
    return out;
  }

 private:
  std::unique_ptr<Model> model_;
  size_t preferred_batch_;
  BackendInfo info_;
};

}  // namespace

std::unique_ptr<Backend> MakeLocalBackend(std::unique_ptr<Model> model, size_t preferred_batch) {
  return std::make_unique<LocalBackend>(std::move(model), preferred_batch);
}

StatusOr<std::unique_ptr<Backend>> MakeLocalBackend(const std::string& model_path, const ModelOptions& options) {
  auto model = Model::Load(model_path, options);
  if (!model.ok()) return model.status();
  return MakeLocalBackend(std::move(*model), options.max_batch);
}

}  // namespace capsfusion
