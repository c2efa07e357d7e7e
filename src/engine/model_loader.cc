#include "engine/model_loader.h"

#include <algorithm>

#include "engine/architecture.h"
#include "engine/llama_model.h"
#include "engine/tuned_decoding.h"
#include "tokenizer/tokenizer_metadata.h"
#include "util/sha256.h"

namespace capsfusion::engine {

DecodeOptions ToDecodeOptions(const GenerateOptions& options) {
  DecodeOptions d;
  d.max_new_tokens = options.max_new_tokens;
  d.num_beams = options.num_beams;
  d.num_return_sequences = options.num_return_sequences;
  d.length_penalty = options.length_penalty;
  d.early_stopping = options.early_stopping_never ? EarlyStopping::kNever
                     : options.early_stopping     ? EarlyStopping::kTrue
                                                  : EarlyStopping::kFalse;
  d.temperature = options.temperature;
  d.top_k = options.top_k;
  d.top_p = options.top_p;
  d.seed = options.seed;
  d.repetition_penalty = options.repetition_penalty;
  d.no_repeat_ngram_size = options.no_repeat_ngram_size;
  d.penalize_prompt = options.penalize_prompt;
  d.span_bonus = options.span_bonus;
  d.span_min_match = options.span_min_match;
  d.no_adjacent_repeat = options.no_adjacent_repeat;
  d.valid_utf8 = options.valid_utf8;
  d.stop = options.stop;
  d.share_prefix = options.share_prefix;
  return d;
}

namespace {

//! The recommended beam width of `file` (0: none), or why its value is invalid.
StatusOr<int> ReadRecommendedBeams(const gguf::GgufFile& file, const std::string& path) {
  if (!file.Has(kRecommendedBeamsKey)) return 0;
  auto beams = file.GetUint32(kRecommendedBeamsKey);
  if (!beams.ok() || *beams < 1 || *beams > static_cast<uint32_t>(kMaxBeams)) {
    return Status::InvalidArgument(path + ": metadata key '" + std::string(kRecommendedBeamsKey) +
                                   "' must be an integer in [1, " + std::to_string(kMaxBeams) + "]");
  }
  return static_cast<int>(*beams);
}

//! Reads the decoding settings other than the beam width into `info`, checked
//! as `set-decoding` checks them.
Status ReadDecodingHints(const gguf::GgufFile& file, const std::string& path, ModelInfo* info) {
  auto bad = [&](const std::string& what) { return Status::InvalidArgument(path + ": metadata key " + what); };
  auto read_float = [&](const char* key, std::optional<float>* out) {
    if (!file.Has(key)) return Status::OK();
    auto v = file.GetFloat32(key);
    if (!v.ok()) return bad("'" + std::string(key) + "': " + v.status().message());
    *out = *v;
    return Status::OK();
  };
  TunedDecoding t;
  CF_RETURN_IF_ERROR(read_float(kRecommendedLengthPenaltyKey, &t.length_penalty));
  CF_RETURN_IF_ERROR(read_float(kRecommendedSpanBonusKey, &t.span_bonus));
  if (file.Has(kRecommendedSpanMinMatchKey)) {
    auto v = file.GetUint32(kRecommendedSpanMinMatchKey);
    if (!v.ok()) return bad("'" + std::string(kRecommendedSpanMinMatchKey) + "': " + v.status().message());
    t.span_min_match = static_cast<int>(std::min<uint32_t>(*v, 1u << 30));
  }
  CF_RETURN_IF_ERROR(read_float(kRecommendedMinLengthRatioKey, &t.min_length_ratio));
  CF_RETURN_IF_ERROR(read_float(kRecommendedConsensusSourceWeightKey, &t.consensus_source_weight));
  if (file.Has(kRecommendedBeamChoiceKey)) {
    auto v = file.GetString(kRecommendedBeamChoiceKey);
    if (!v.ok()) return bad("'" + std::string(kRecommendedBeamChoiceKey) + "': " + v.status().message());
    t.beam_choice = *v;
  }
  if (file.Has(kRecommendedExpectedLengthKey)) {
    auto v = file.GetFloat32Array(kRecommendedExpectedLengthKey);
    if (!v.ok()) return bad("'" + std::string(kRecommendedExpectedLengthKey) + "': " + v.status().message());
    if (v->size() != 3) return bad("'" + std::string(kRecommendedExpectedLengthKey) + "' must hold 3 numbers");
    t.expected_length = std::array<float, 3>{(*v)[0], (*v)[1], (*v)[2]};
  }
  // The messages start with the field's name, which ends the key's name.
  Status s = ValidateTunedDecoding(t);
  if (!s.ok()) return bad("capsfusion.decoding." + s.message());
  info->recommended_length_penalty = t.length_penalty;
  info->recommended_span_bonus = t.span_bonus;
  info->recommended_span_min_match = t.span_min_match.value_or(0);
  info->recommended_expected_length = t.expected_length;
  info->recommended_min_length_ratio = t.min_length_ratio;
  info->recommended_beam_choice = t.beam_choice.value_or("");
  info->recommended_consensus_source_weight = t.consensus_source_weight;
  return Status::OK();
}

}  // namespace

StatusOr<std::unique_ptr<LoadedModel>> LoadModel(const std::string& path, const ModelOptions& options) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return file.status();
  auto m = std::make_unique<LoadedModel>();
  m->file = std::move(*file);
  m->pool = std::make_unique<ThreadPool>(options.threads);

  ArchitectureOptions aopt;
  aopt.pool = m->pool.get();
  aopt.kv_type = options.kv_cache_f16 ? KvType::kF16 : KvType::kF32;
  if (options.context_length > HparamLimits::kMaxContext) {
    return Status::OutOfRange(path + ": context_length " + std::to_string(options.context_length) +
                              " is too large");
  }
  aopt.context_length = static_cast<uint32_t>(options.context_length);
  auto lm = LoadLanguageModel(*m->file, aopt);
  if (!lm.ok()) return lm.status().WithContext(path);
  m->lm = std::move(*lm);

  auto tok = LoadLlamaTokenizer(*m->file);
  if (!tok.ok()) return tok.status().WithContext(path + ": tokenizer");
  m->tokenizer = std::move(*tok);
  const ModelShape& shape = m->lm->shape();
  if (m->tokenizer->vocab_size() > shape.n_vocab) {
    return Status::InvalidArgument(path + ": the tokenizer has " + std::to_string(m->tokenizer->vocab_size()) +
                                   " tokens but 'token_embd.weight' only " + std::to_string(shape.n_vocab) +
                                   " rows");
  }

  ModelInfo& info = m->info;
  info.architecture = *m->file->GetString("general.architecture");
  if (auto name = m->file->GetString("general.name"); name.ok()) info.name = *name;
  info.n_vocab = shape.n_vocab;
  info.n_ctx = m->lm->context_length();
  info.n_embd = shape.n_embd;
  info.n_layer = shape.n_layer;
  info.n_head = shape.n_head;
  info.n_head_kv = shape.n_head_kv;
  info.n_ff = shape.n_ff;
  info.weight_type = m->lm->weight_type();
  info.n_params = m->lm->n_params();
  if (auto tmpl = m->file->GetString("capsfusion.prompt_template"); tmpl.ok()) info.prompt_template = *tmpl;
  auto beams = ReadRecommendedBeams(*m->file, path);
  if (!beams.ok()) return beams.status();
  info.recommended_num_beams = *beams;
  CF_RETURN_IF_ERROR(ReadDecodingHints(*m->file, path, &info));
  if (options.hash_file) {
    auto sha = Sha256FileHex(path);
    if (!sha.ok()) return sha.status();
    info.file_sha256 = *sha;
  }
  return m;
}

int PeekRecommendedBeams(const std::string& path) {
  auto file = gguf::GgufFile::Open(path);
  if (!file.ok()) return 0;
  auto beams = ReadRecommendedBeams(**file, path);
  return beams.ok() ? *beams : 0;
}

}  // namespace capsfusion::engine
