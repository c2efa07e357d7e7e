// Model: the public face of the engine (include/capsfusion/engine.h). Opens the
// GGUF file, builds the registered architecture, the tokenizer and a
// Generator, and turns text prompts into Generations.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capsfusion/engine.h"
#include "engine/architecture.h"
#include "engine/generator.h"
#include "engine/llama_model.h"
#include "engine/thread_pool.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer_metadata.h"
#include "util/sha256.h"

namespace capsfusion {

namespace {

class EngineModel final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }

  StatusOr<std::vector<Generation>> Generate(const std::vector<std::string>& prompts,
                                             const GenerateOptions& options) override {
    std::lock_guard<std::mutex> lock(mu_);
    engine::DecodeOptions d;
    d.max_new_tokens = options.max_new_tokens;
    d.num_beams = options.num_beams;
    d.length_penalty = options.length_penalty;
    d.early_stopping = options.early_stopping_never ? engine::EarlyStopping::kNever
                       : options.early_stopping     ? engine::EarlyStopping::kTrue
                                                    : engine::EarlyStopping::kFalse;
    d.temperature = options.temperature;
    d.top_k = options.top_k;
    d.top_p = options.top_p;
    d.seed = options.seed;
    d.repetition_penalty = options.repetition_penalty;
    d.no_repeat_ngram_size = options.no_repeat_ngram_size;
    d.penalize_prompt = options.penalize_prompt;
    d.stop = options.stop;
    d.share_prefix = options.share_prefix;

    const bool add_bos = tokenizer_->vocab().add_bos && tokenizer_->bos_id() >= 0;
    std::vector<std::vector<int32_t>> ids(prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) ids[i] = tokenizer_->Encode(prompts[i], add_bos);
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
    }
    return result;
  }

  static StatusOr<std::unique_ptr<Model>> Open(const std::string& path, const ModelOptions& options) {
    auto file = gguf::GgufFile::Open(path);
    if (!file.ok()) return file.status();
    std::unique_ptr<EngineModel> m(new EngineModel);
    m->file_ = std::move(*file);
    m->pool_ = std::make_unique<engine::ThreadPool>(options.threads);

    engine::ArchitectureOptions aopt;
    aopt.pool = m->pool_.get();
    aopt.kv_type = options.kv_cache_f16 ? engine::KvType::kF16 : engine::KvType::kF32;
    if (options.context_length > engine::HparamLimits::kMaxContext) {
      return Status::OutOfRange(path + ": context_length " + std::to_string(options.context_length) +
                                " is too large");
    }
    aopt.context_length = static_cast<uint32_t>(options.context_length);
    auto lm = engine::LoadLanguageModel(*m->file_, aopt);
    if (!lm.ok()) return lm.status().WithContext(path);
    m->lm_ = std::move(*lm);

    auto tok = LoadLlamaTokenizer(*m->file_);
    if (!tok.ok()) return tok.status().WithContext(path + ": tokenizer");
    m->tokenizer_ = std::move(*tok);
    const engine::ModelShape& shape = m->lm_->shape();
    if (m->tokenizer_->vocab_size() > shape.n_vocab) {
      return Status::InvalidArgument(path + ": the tokenizer has " + std::to_string(m->tokenizer_->vocab_size()) +
                                     " tokens but 'token_embd.weight' only " + std::to_string(shape.n_vocab) +
                                     " rows");
    }

    ModelInfo& info = m->info_;
    info.architecture = *m->file_->GetString("general.architecture");
    if (auto name = m->file_->GetString("general.name"); name.ok()) info.name = *name;
    info.n_vocab = shape.n_vocab;
    info.n_ctx = m->lm_->context_length();
    info.n_embd = shape.n_embd;
    info.n_layer = shape.n_layer;
    info.n_head = shape.n_head;
    info.n_head_kv = shape.n_head_kv;
    info.n_ff = shape.n_ff;
    info.weight_type = m->lm_->weight_type();
    info.n_params = m->lm_->n_params();
    if (auto tmpl = m->file_->GetString("capsfusion.prompt_template"); tmpl.ok()) info.prompt_template = *tmpl;
    if (options.hash_file) {
      auto sha = Sha256FileHex(path);
      if (!sha.ok()) return sha.status();
      info.file_sha256 = *sha;
    }

    m->generator_ = std::make_unique<engine::Generator>(m->lm_.get(), m->tokenizer_.get(),
                                                        m->tokenizer_->eos_id(), options.max_batch);
    return std::unique_ptr<Model>(std::move(m));
  }

 private:
  EngineModel() = default;

  std::unique_ptr<gguf::GgufFile> file_;
  std::unique_ptr<engine::ThreadPool> pool_;
  std::unique_ptr<engine::LanguageModel> lm_;
  std::unique_ptr<LlamaTokenizer> tokenizer_;
  std::unique_ptr<engine::Generator> generator_;
  ModelInfo info_;
  std::mutex mu_;
};

}  // namespace

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& options) {
  return EngineModel::Open(path, options);
}

}  // namespace capsfusion
