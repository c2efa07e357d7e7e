#include "train/run_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace capsfusion::train {

namespace {

using nlohmann::ordered_json;

ordered_json ModelJson(const ModelConfig& m) {
  return ordered_json{{"n_vocab", m.n_vocab},           {"n_layer", m.n_layer},
                      {"n_embd", m.n_embd},             {"n_head", m.n_head},
                      {"n_head_kv", m.kv_heads()},      {"n_ff", m.n_ff},
                      {"n_ctx", m.n_ctx},               {"rope_freq_base", m.rope_freq_base},
                      {"rms_eps", m.rms_eps},           {"tie_embeddings", m.tie_embeddings},
                      {"copy_head", m.copy_head},       {"copy_dim", m.copy_width()},
                      {"dropout", m.dropout}};
}

ordered_json Json(const TrainOptions& o, const std::string& init_sha256) {
  const DataOptions& d = o.data;
  ordered_json j{
      {"format_version", 1},
      {"seed", o.seed},
      {"prompt_template", o.prompt_template},
      {"model", ModelJson(o.model)},
      {"data",
       {{"train_files", d.train_files},
        {"dev_files", d.dev_files},
        {"dev_fraction", d.dev_fraction},
        {"format", d.format},
        {"raw_field", d.raw_field},
        {"synthetic_field", d.synthetic_field},
        {"target_field", d.target_field},
        {"leak", LeakModeName(d.leak)},
        {"max_rows", d.max_rows},
        {"max_raw_tokens", d.max_raw_tokens},
        {"max_synthetic_tokens", d.max_synthetic_tokens},
        {"max_target_tokens", d.max_target_tokens},
        {"augment_copies", d.augment_copies},
        {"lm_fraction", d.lm_fraction}}},
      {"tokenizer",
       {{"model_path", o.tokenizer.model_path},
        {"vocab_size", o.tokenizer.vocab_size},
        {"character_coverage", o.tokenizer.character_coverage}}},
      {"optim",
       {{"lr", o.optim.lr},
        {"min_lr_ratio", o.optim.min_lr_ratio},
        {"warmup_steps", o.optim.warmup_steps},
        {"beta1", o.optim.beta1},
        {"beta2", o.optim.beta2},
        {"eps", o.optim.eps},
        {"weight_decay", o.optim.weight_decay},
        {"clip", o.optim.clip},
        {"label_smoothing", o.optim.label_smoothing},
        {"batch_size", o.optim.batch_size},
        {"epochs", o.optim.epochs},
        {"max_steps", o.optim.max_steps}}},
  };
  if (!d.dev_target_field.empty()) j["data"]["dev_target_field"] = d.dev_target_field;
  if (!o.init_model.empty()) j["init"] = {{"file", o.init_model}, {"sha256", init_sha256}};
  return j;
}

}  // namespace

std::string RunConfigJson(const TrainOptions& options, const std::string& init_sha256) {
  return Json(options, init_sha256).dump(2) + "\n";
}

StatusOr<StoredRun> ReadRunConfig(const std::string& run_dir) {
  std::string path = run_dir + "/config.json";
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no run config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = ordered_json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model") || !j["model"].is_object()) {
    return Status::Corruption(path + " is not a run config");
  }
  StoredRun r;
  r.json = ss.str();
  try {
    const auto& m = j["model"];
    r.model.n_vocab = m.at("n_vocab").get<int>();
    r.model.n_layer = m.at("n_layer").get<int>();
    r.model.n_embd = m.at("n_embd").get<int>();
    r.model.n_head = m.at("n_head").get<int>();
    r.model.n_head_kv = m.at("n_head_kv").get<int>();
    r.model.n_ff = m.at("n_ff").get<int>();
    r.model.n_ctx = m.at("n_ctx").get<int>();
    r.model.rope_freq_base = m.at("rope_freq_base").get<float>();
    r.model.rms_eps = m.at("rms_eps").get<float>();
    r.model.tie_embeddings = m.at("tie_embeddings").get<bool>();
    r.model.copy_head = m.at("copy_head").get<bool>();
    r.model.copy_dim = m.at("copy_dim").get<int>();
    r.model.dropout = m.at("dropout").get<float>();
    r.prompt_template = j.at("prompt_template").get<std::string>();
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
  CF_RETURN_IF_ERROR(r.model.Validate().WithContext(path));
  return r;
}

Status CheckResumable(const std::string& stored_json, const TrainOptions& options, const std::string& init_sha256) {
  auto stored = ordered_json::parse(stored_json, nullptr, false);
  if (stored.is_discarded()) return Status::Corruption("the run's config.json is not JSON");
  ordered_json now = Json(options, init_sha256);
  // The vocabulary size comes from the tokenizer; the stored one is authoritative.
  now["model"]["n_vocab"] = stored["model"].value("n_vocab", 0);
  for (auto* j : {&stored, &now}) {
    (*j)["optim"].erase("epochs");
    (*j)["optim"].erase("max_steps");
    // The starting model is known by its contents: it may have moved.
    if (j->contains("init") && (*j)["init"].is_object()) (*j)["init"].erase("file");
  }
  // Runs made before label smoothing existed trained without it.
  if (stored["optim"].is_object() && !stored["optim"].contains("label_smoothing")) {
    stored["optim"]["label_smoothing"] = 0.0;
  }
  std::string diff;
  for (auto it = now.begin(); it != now.end(); ++it) {
    if (!stored.contains(it.key()) || stored[it.key()] != it.value()) {
      if (it.value().is_object() && stored.contains(it.key()) && stored[it.key()].is_object()) {
        for (auto jt = it.value().begin(); jt != it.value().end(); ++jt) {
          if (stored[it.key()].value(jt.key(), ordered_json()) != jt.value()) {
            diff += (diff.empty() ? "" : ", ") + it.key() + "." + jt.key();
          }
        }
      } else {
        diff += (diff.empty() ? "" : ", ") + it.key();
      }
    }
  }
  if (!diff.empty()) {
    return Status::InvalidArgument("cannot resume: these options differ from the run's config.json: " + diff +
                                   " (start a new run directory, or --overwrite)");
  }
  return Status::OK();
}

}  // namespace capsfusion::train
