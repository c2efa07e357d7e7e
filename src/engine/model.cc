// Model: the public face of the engine (include/capsfusion/engine.h). Loads
// the model (engine/model_loader.h), builds a Generator, and turns text
// prompts into Generations.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capsfusion/engine.h"
#include "engine/generator.h"
#include "engine/model_loader.h"

namespace capsfusion {

namespace {

class EngineModel final : public Model {
 public:
  const ModelInfo& info() const override { return parts_->info; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  std::vector<int32_t> PromptTokens(std::string_view prompt) const override {
    return tokenizer_->Encode(prompt, tokenizer_->vocab().add_bos && tokenizer_->bos_id() >= 0);
  }

  StatusOr<std::vector<Generation>> Generate(const std::vector<std::string>& prompts,
                                             const GenerateOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    const engine::DecodeOptions d = engine::ToDecodeOptions(options);

    std::vector<std::vector<int32_t>> ids(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) ids[i] = PromptTokens(prompts[i]);
    auto out = generator_->Generate(ids, d);
    if (!out.ok()) return out.status();
    std::vector<Generation> result(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      engine::TokenGeneration& t = (*out)[i];
      Generation& g = result[i];
      g.text = std::move(t.text);
      g.tokens = std::move(t.tokens);
      g.prompt_tokens = t.prompt_tokens;
      g.finish_reason = t.stopped ? "stop" : "length";
      g.logprob = t.logprob;
      for (engine::TokenGeneration& a : t.alternatives) {
        Generation alt;
        alt.text = std::move(a.text);
        alt.tokens = std::move(a.tokens);
        alt.prompt_tokens = a.prompt_tokens;
        alt.finish_reason = a.stopped ? "stop" : "length";
        alt.logprob = a.logprob;
        g.alternatives.push_back(std::move(alt));
      }
    }
    return result;
  }

  static StatusOr<std::unique_ptr<Model>> Open(const std::string& path, const ModelOptions& options) {
    auto loaded = engine::LoadModel(path, options);
    if (!loaded.ok()) return loaded.status();
    std::unique_ptr<EngineModel> m(new EngineModel);
    m->parts_ = std::move(*loaded);
    m->tokenizer_ = m->parts_->tokenizer.get();
    m->generator_ = std::make_unique<engine::Generator>(m->parts_->lm.get(), m->tokenizer_,
                                                        m->tokenizer_->eos_id(), options.max_batch);
    return std::unique_ptr<Model>(std::move(m));
  }

 private:
  EngineModel() = default;

  std::unique_ptr<engine::LoadedModel> parts_;
  const LlamaTokenizer* tokenizer_ = nullptr;
  std::unique_ptr<engine::Generator> generator_;
  std::mutex mu_;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& options) {
  return EngineModel::Open(path, options);
}

}  // namespace capsfusion
