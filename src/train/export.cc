// Export(): a run's checkpoint (or the average of its last ones) to GGUF.
#include <filesystem>

#include "engine/model_loader.h"
#include "engine/tuned_decoding.h"
#include "train/checkpoint.h"
#include "train/gguf_export.h"
#include "train/run_config.h"
#include "train/sp_trainer.h"
#include "train/train.h"

namespace capsfusion::train {

namespace {

namespace fs = std::filesystem;

//! The newest `n` step checkpoints of a run directory, oldest first.
std::vector<std::string> NewestSteps(const std::string& dir, int n) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name.size() > 8 && name.substr(name.size() - 3) == ".pt") {
      names.push_back(e.path().string());
    }
  }
  std::sort(names.begin(), names.end());  // zero-padded step numbers sort by step
  if (static_cast<int>(names.size()) > n) names.erase(names.begin(), names.end() - n);
  return names;
}

}  // namespace

Status Export(const ExportOptions& options, ExportReport* report) {
  ExportReport local;
  if (report == nullptr) report = &local;
  *report = ExportReport{};
  if (options.output.empty()) return Status::InvalidArgument("no output file");
  bool q8 = false;
  if (options.type == "q8_0" || options.type == "Q8_0") {
    q8 = true;
  } else if (options.type != "f32" && options.type != "F32") {
    return Status::InvalidArgument("unknown weight type '" + options.type + "' (f32 or q8_0)");
  }
  auto run = ReadRunConfig(options.run_dir);
  if (!run.ok()) return run.status();
  auto vocab = Vocab::Load(options.run_dir + "/tokenizer.model");
  if (!vocab.ok()) return vocab.status();
  if ((*vocab)->size() != run->model.n_vocab) {
    return Status::Corruption(options.run_dir + ": the tokenizer does not match the model's vocabulary size");
  }

  torch::NoGradGuard no_grad;
  FusionModel model(run->model);
  model->eval();
  TrainState state;
  const std::string ckpt_dir = options.run_dir + "/checkpoints";
  if (options.average_last > 1) {
    std::vector<std::string> files = NewestSteps(ckpt_dir, options.average_last);
    if (files.empty()) return Status::NotFound("no step checkpoints in " + ckpt_dir + " to average");
    std::vector<torch::Tensor> sum;
    for (const auto& p : model->parameters()) sum.push_back(torch::zeros_like(p));
    for (const std::string& f : files) {
      CF_RETURN_IF_ERROR(LoadCheckpoint(f, model, nullptr, &state, false));
      auto params = model->parameters();
      for (size_t i = 0; i < params.size(); ++i) sum[i] += params[i];
    }
    auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].copy_(sum[i] / static_cast<double>(files.size()));
    report->averaged = files;
  } else {
    std::string path = options.checkpoint;
    if (path.empty() || path == "best") {
      path = ckpt_dir + "/best.pt";
    } else if (path == "last") {
      path = ckpt_dir + "/last.pt";
    }
    CF_RETURN_IF_ERROR(LoadCheckpoint(path, model, nullptr, &state, false));
  }

  if (options.copy_gate_shift != 0.0f) {
    if (!run->model.copy_head) return Status::InvalidArgument("--copy-gate-shift needs a model with a copy head");
    model->copy_gate->bias.add_(options.copy_gate_shift);
  }

  GgufModelInfo info;
  info.name = options.name;
  if (info.name.empty()) info.name = fs::path(options.run_dir).lexically_normal().filename().string();
  if (info.name.empty() || info.name == ".") info.name = "capsfusion";
  info.prompt_template = run->prompt_template;
  info.run_config_json = run->json;
  info.step = state.step;
  info.quantize_q8_0 = q8;
  if (options.num_beams < 0 || options.num_beams > engine::kMaxBeams) {
    return Status::InvalidArgument("--num-beams must be in [0, " + std::to_string(engine::kMaxBeams) + "] (0: none)");
  }
  info.num_beams = options.num_beams;
  engine::TunedDecoding tuned;
  tuned.length_penalty = options.length_penalty;
  tuned.span_bonus = options.span_bonus;
  if (options.span_min_match != 0) tuned.span_min_match = options.span_min_match;
  CF_RETURN_IF_ERROR(engine::ValidateTunedDecoding(tuned));
  info.length_penalty = options.length_penalty;
  info.span_bonus = options.span_bonus;
  info.span_min_match = options.span_min_match;
  std::vector<std::string> special = TemplateSpecialPieces(run->prompt_template);
  if (!special.empty()) info.copy_end_token_id = (*vocab)->PieceId(special.back());
  gguf::GgufWriter writer;
  CF_RETURN_IF_ERROR(WriteModel(model, **vocab, info, &writer, &report->n_params));
  CF_RETURN_IF_ERROR(writer.WriteFile(options.output));
  report->architecture = ArchitectureName(run->model);
  std::error_code ec;
  report->file_bytes = fs::file_size(options.output, ec);
  return Status::OK();
}

}  // namespace capsfusion::train
