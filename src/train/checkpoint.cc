#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cstdio>
#include <filesystem>

namespace capsfusion::train {

namespace {

constexpr int64_t kFormatVersion = 1;

torch::Tensor Int(int64_t v) { return torch::tensor({v}, torch::kInt64); }
torch::Tensor Real(double v) { return torch::tensor({v}, torch::kFloat64); }

}  // namespace

Status SaveCheckpoint(const std::string& path, FusionModel& model, torch::optim::Optimizer* optimizer,
                      const TrainState& s) {
  std::string tmp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive model_archive;
    for (const auto& p : model->named_parameters()) model_archive.write(p.key(), p.value().detach());
    archive.write("model", model_archive);
    if (optimizer != nullptr) {
      torch::serialize::OutputArchive optim_archive;
      optimizer->save(optim_archive);
      archive.write("optimizer", optim_archive);
    }
    archive.write("format_version", Int(kFormatVersion));
    archive.write("step", Int(s.step));
    archive.write("epoch", Int(s.epoch));
    archive.write("batch_in_epoch", Int(s.batch_in_epoch));
    archive.write("best_step", Int(s.best_step));
    archive.write("best_score", Real(s.best_score));
    archive.write("bad_evals", Int(s.bad_evals));
    archive.write("tokens_seen", Int(s.tokens_seen));
    archive.write("seconds", Real(s.seconds));
    archive.write("loss_sum", Real(s.loss_sum));
    archive.write("loss_steps", Int(s.loss_steps));
    archive.write("last_eval_step", Int(s.last_eval_step));
    archive.write("stopped_early", Int(s.stopped_early ? 1 : 0));
    at::Generator gen = at::detail::getDefaultCPUGenerator();
    archive.write("rng", gen.get_state());
    archive.save_to(tmp);
  } catch (const std::exception& e) {
    std::remove(tmp.c_str());
    return Status::IOError("cannot write checkpoint " + path + ": " + e.what());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::IOError("cannot rename " + tmp + " to " + path + ": " + ec.message());
  return Status::OK();
}

Status LoadCheckpoint(const std::string& path, FusionModel& model, torch::optim::Optimizer* optimizer,
                      TrainState* state, bool restore_rng) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return Status::NotFound("no checkpoint " + path);
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path, model->device());  // tensors land on the model's device, whatever device saved them
    torch::Tensor v;
    archive.read("format_version", v);
    if (v.item<int64_t>() != kFormatVersion) {
      return Status::NotSupported(path + ": checkpoint format " + std::to_string(v.item<int64_t>()));
    }
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    torch::NoGradGuard no_grad;
    for (auto& p : model->named_parameters()) {
      torch::Tensor t;
      if (!model_archive.try_read(p.key(), t)) {
        return Status::Corruption(path + ": no parameter " + p.key() + " (a checkpoint of another model shape?)");
      }
      if (t.sizes() != p.value().sizes()) {
        return Status::Corruption(path + ": parameter " + p.key() + " has another shape");
      }
      p.value().copy_(t);
    }
    if (optimizer != nullptr) {
      torch::serialize::InputArchive optim_archive;
      if (!archive.try_read("optimizer", optim_archive)) {
        return Status::Corruption(path + " holds no optimiser state");
      }
      optimizer->load(optim_archive);
    }
    if (state != nullptr) {
      auto i = [&](const char* key) {
        torch::Tensor t;
        archive.read(key, t);
        return t.item<int64_t>();
      };
      auto r = [&](const char* key) {
        torch::Tensor t;
        archive.read(key, t);
        return t.item<double>();
      };
      state->step = i("step");
      state->epoch = i("epoch");
      state->batch_in_epoch = i("batch_in_epoch");
      state->best_step = i("best_step");
      state->best_score = r("best_score");
      state->bad_evals = i("bad_evals");
      state->tokens_seen = i("tokens_seen");
      state->seconds = r("seconds");
      state->loss_sum = r("loss_sum");
      state->loss_steps = i("loss_steps");
      state->last_eval_step = i("last_eval_step");
      state->stopped_early = i("stopped_early") != 0;
    }
    if (restore_rng) {
      torch::Tensor rng;
      archive.read("rng", rng);
      at::Generator gen = at::detail::getDefaultCPUGenerator();
      gen.set_state(rng);
    }
  } catch (const std::exception& e) {
    return Status::Corruption("cannot read checkpoint " + path + ": " + e.what());
  }
  return Status::OK();
}

}  // namespace capsfusion::train
