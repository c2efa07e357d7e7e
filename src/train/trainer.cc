// Train(): the training loop of `capsfusion train`.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <torch/cuda.h>

#include "tokenizer/spm_model_writer.h"
#include "train/batch.h"
#include "train/batcher.h"
#include "train/checkpoint.h"
#include "train/compute_threads.h"
#include "train/dev_eval.h"
#include "train/epoch_source.h"
#include "train/example.h"
#include "train/init_model.h"
#include "train/model.h"
#include "train/progress.h"
#include "train/run_config.h"
#include "train/schedule.h"
#include "train/signal_guard.h"
#include "train/sp_trainer.h"
#include "train/vocab.h"
#include "train/train.h"
#include "train/triplet.h"

namespace capsfusion::train {

bool HaveCaptionMetrics();

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

Status CheckOptions(const TrainOptions& o) {
  if (o.run_dir.empty()) return Status::InvalidArgument("no run directory");
  if (o.data.train_files.empty()) return Status::InvalidArgument("no training files");
  if (o.optim.batch_size < 1) return Status::InvalidArgument("batch size must be at least 1");
  if (o.optim.epochs < 1 && o.optim.max_steps <= 0) return Status::InvalidArgument("give epochs or max steps");
  if (!(o.optim.lr > 0) || o.optim.min_lr_ratio < 0 || o.optim.min_lr_ratio > 1 || o.optim.warmup_steps < 0) {
    return Status::InvalidArgument("learning rate must be positive, min ratio in [0, 1], warm-up >= 0");
  }
  if (o.threads < 1) return Status::InvalidArgument("threads must be at least 1");
  if (!(o.optim.label_smoothing >= 0.0 && o.optim.label_smoothing < 1.0)) {
    return Status::InvalidArgument("label smoothing must be in [0, 1)");
  }
  if (o.data.augment_copies < 0 || o.data.lm_fraction < 0) {
    return Status::InvalidArgument("augmentation copies and caption-text fraction must not be negative");
  }
  if (o.data.dev_files.empty() && !(o.data.dev_fraction > 0 && o.data.dev_fraction < 1)) {
    return Status::InvalidArgument("without dev files, the dev fraction must be in (0, 1)");
  }
  const std::string& sel = o.eval.select;
  if (sel != "loss" && sel != "bleu4" && sel != "rouge_l" && sel != "cider") {
    return Status::InvalidArgument("unknown selection metric '" + sel + "' (loss, bleu4, rouge_l, cider)");
  }
  if (sel != "loss" && !HaveCaptionMetrics()) {
    return Status::NotSupported("selection by " + sel + " needs the caption metrics, absent from this build");
  }
  if (sel != "loss" && o.eval.decode_samples < 1) {
    return Status::InvalidArgument("selection by " + sel + " needs decoded dev samples");
  }
  return o.model.Validate();
}

double Score(const EvalResult& r, const std::string& select) {
  if (select == "bleu4") return r.bleu4;
  if (select == "rouge_l") return r.rouge_l;
  if (select == "cider") return r.cider;
  return -r.dev_loss;
}

std::string EvalJson(const EvalResult& r) {
  nlohmann::ordered_json j = {{"step", r.step},         {"epoch", r.epoch},
                              {"train_loss", r.train_loss}, {"dev_loss", r.dev_loss},
                              {"decoded", r.decoded},   {"leak_rate", r.leak_rate},
                              {"concat_rate", r.concat_rate}, {"proper_retention", r.proper_retention},
                              {"number_retention", r.number_retention},
                              {"reference_proper_retention", r.reference_proper_retention},
                              {"reference_number_retention", r.reference_number_retention},
                              {"seconds", r.seconds}, {"tokens_per_second", r.tokens_per_second}};
  if (r.bleu4 >= 0) {
    j["bleu4"] = r.bleu4;
    j["rouge_l"] = r.rouge_l;
    j["cider"] = r.cider;
  }
  return j.dump();
}

std::string EvalLine(const EvalResult& r, bool best) {
  char buf[512];
  int n = std::snprintf(buf, sizeof(buf), "eval step %lld epoch %d: train loss %.4f, dev loss %.4f",
                        static_cast<long long>(r.step), r.epoch, r.train_loss, r.dev_loss);
  if (r.decoded > 0) {
    if (r.bleu4 >= 0) {
      n += std::snprintf(buf + n, sizeof(buf) - n, ", BLEU-4 %.3f ROUGE-L %.3f CIDEr-D %.3f", r.bleu4, r.rouge_l,
                         r.cider);
    }
    n += std::snprintf(buf + n, sizeof(buf) - n,
                       ", leaks %.1f%%, concat %.1f%%, names kept %.1f%% (targets %.1f%%), numbers %.1f%% (%.1f%%)",
                       100 * r.leak_rate, 100 * r.concat_rate, 100 * r.proper_retention,
                       100 * r.reference_proper_retention, 100 * r.number_retention,
                       100 * r.reference_number_retention);
  }
  std::snprintf(buf + n, sizeof(buf) - n, " (%s; training %.0f tok/s)%s", Progress::Duration(r.seconds).c_str(),
                r.tokens_per_second, best ? " *best" : "");
  return buf;
}

Status AppendLine(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << line << '\n';
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

Status WriteSamples(const std::string& path, const std::vector<Triplet>& rows, const std::vector<std::string>& out,
                    int64_t step) {
  std::ofstream f(path + ".tmp", std::ios::binary | std::ios::trunc);
  for (size_t i = 0; i < out.size() && i < rows.size(); ++i) {
    nlohmann::ordered_json j = {{"step", step},
                                {"raw", rows[i].raw},
                                {"synthetic", rows[i].synthetic},
                                {"target", rows[i].target},
                                {"fused", out[i]}};
    f << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  f.close();
  if (!f) return Status::IOError("cannot write " + path);
  std::error_code ec;
  fs::rename(path + ".tmp", path, ec);
  if (ec) return Status::IOError("cannot write " + path + ": " + ec.message());
  return Status::OK();
}

//! Step checkpoints (weights only) of a run, oldest first.
std::vector<std::pair<int64_t, std::string>> StepCheckpoints(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.size() < 9 || name.substr(name.size() - 3) != ".pt") continue;
    char* end = nullptr;
    long long step = std::strtoll(name.c_str() + 5, &end, 10);
    if (end != name.c_str() + name.size() - 3) continue;
    out.emplace_back(step, e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string StepName(const std::string& dir, int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%08lld.pt", static_cast<long long>(step));
  return dir + "/" + buf;
}

Status PrepareTokenizer(const TrainOptions& o, const std::vector<Triplet>& rows, const std::string& path,
                        bool reuse_existing, const InitModel* init) {
  std::error_code ec;
  if (reuse_existing && fs::is_regular_file(path, ec)) return Status::OK();
  if (init != nullptr && o.tokenizer.model_path.empty()) return WriteSentencePieceModel(init->vocab, path);
  if (!o.tokenizer.model_path.empty()) {
    fs::copy_file(o.tokenizer.model_path, path, fs::copy_options::overwrite_existing, ec);
    if (ec) return Status::IOError("cannot copy tokenizer " + o.tokenizer.model_path + ": " + ec.message());
    return Status::OK();
  }
  std::vector<std::string> texts;
  texts.reserve(rows.size() * 3);
  for (const Triplet& t : rows) {
    texts.push_back(t.raw);
    texts.push_back(t.synthetic);
    texts.push_back(t.target);
  }
  return TrainSentencePiece(texts, TemplateSpecialPieces(o.prompt_template), o.tokenizer, o.threads, path);
}

//! With --init: the starting model's shape and template replace the options;
//! a --tokenizer or a template given beside it must agree with the file's.
Status ApplyInitModel(const InitModel& init, TrainOptions* o) {
  const float dropout = o->model.dropout;
  o->model = init.config;
  o->model.dropout = dropout;
  if (!init.prompt_template.empty()) {
    if (o->prompt_template != kCompactTemplate && o->prompt_template != init.prompt_template) {
      return Status::InvalidArgument("--template '" + o->prompt_template + "' differs from the template of " +
                                     o->init_model + " ('" + init.prompt_template + "')");
    }
    o->prompt_template = init.prompt_template;
  }
  if (!o->tokenizer.model_path.empty()) {
    auto given = Vocab::Load(o->tokenizer.model_path);
    if (!given.ok()) return given.status();
    const LlamaVocab& a = (*given)->llama_vocab();
    // Scores decide BPE merges and types decide special pieces: all three must agree.
    if (a.tokens != init.vocab.tokens || a.scores != init.vocab.scores || a.token_types != init.vocab.token_types) {
      return Status::InvalidArgument("--tokenizer " + o->tokenizer.model_path + " has other pieces than " +
                                     o->init_model + " (leave --tokenizer out to use the file's)");
    }
  }
  o->tokenizer.vocab_size = init.config.n_vocab;
  return Status::OK();
}

//! Puts the model on `name` ("cpu", "cuda", "cuda:1"), with a clear error when
//! that device does not exist in this build or on this machine.
Status MoveToDevice(FusionModel& model, const std::string& name) {
  std::optional<torch::Device> device;
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    return Status::InvalidArgument("unknown device '" + name + "' (cpu, cuda or cuda:N)");
  }
  if (device->is_cuda()) {
    if (!torch::cuda::is_available()) {
      return Status::InvalidArgument("device " + name + ": no CUDA device is usable (this LibTorch " +
                                     "is CPU-only or no GPU is present); use --device cpu");
    }
    if (device->has_index() && device->index() >= static_cast<int>(torch::cuda::device_count())) {
      return Status::InvalidArgument("device " + name + ": only " + std::to_string(torch::cuda::device_count()) +
                                     " CUDA devices");
    }
  } else if (!device->is_cpu()) {
    return Status::InvalidArgument("device " + name + " is not supported (cpu or cuda)");
  }
  model->to(*device);
  return Status::OK();
}

}  // namespace

Status Train(const TrainOptions& options, TrainReport* report) {
  TrainReport local_report;
  if (report == nullptr) report = &local_report;
  *report = TrainReport{};
  TrainOptions opt = options;
  CF_RETURN_IF_ERROR(CheckOptions(opt));
  if (TemplateSpecialPieces(opt.prompt_template).empty()) {
    return Status::InvalidArgument("the prompt template must use special pieces such as <raw> (" +
                                   opt.prompt_template + ")");
  }
  SetComputeThreads(opt.threads);
  SignalGuard signals;  // from here on SIGINT/SIGTERM stop the run cleanly

  // The run directory.
  const std::string ckpt_dir = opt.run_dir + "/checkpoints";
  const std::string config_path = opt.run_dir + "/config.json", tok_path = opt.run_dir + "/tokenizer.model";
  const std::string last_path = ckpt_dir + "/last.pt", best_path = ckpt_dir + "/best.pt";
  const std::string log_path = opt.run_dir + "/log.jsonl", samples_path = opt.run_dir + "/dev-samples.jsonl";
  std::error_code ec;
  bool have_run = fs::exists(config_path, ec);
  bool resuming = false;
  if (have_run) {
    if (opt.overwrite) {
      for (const std::string& p : {config_path, tok_path, log_path, samples_path}) fs::remove(p, ec);
      fs::remove_all(ckpt_dir, ec);
      have_run = false;
    } else if (!opt.resume) {
      return Status::InvalidArgument(opt.run_dir + " already holds a run: --resume to continue it, --overwrite to start again");
    } else {
      resuming = fs::exists(last_path, ec);
    }
  }
  fs::create_directories(ckpt_dir, ec);
  if (ec) return Status::IOError("cannot create " + ckpt_dir + ": " + ec.message());

  Progress progress(opt.progress < 0 ? isatty(STDERR_FILENO) == 1 : opt.progress > 0, opt.quiet);

  // Data.
  LoadStats stats;
  auto rows = LoadTriplets(opt.data.train_files, opt.data, opt.data.leak, opt.data.max_rows, &stats);
  if (!rows.ok()) return rows.status();
  std::vector<Triplet> dev_rows;
  if (!opt.data.dev_files.empty()) {
    DataOptions dev_data = opt.data;
    if (!opt.data.dev_target_field.empty()) dev_data.target_field = opt.data.dev_target_field;
    auto dev = LoadTriplets(opt.data.dev_files, dev_data, LeakMode::kKeep, 0, nullptr);
    if (!dev.ok()) return dev.status();
    dev_rows = std::move(*dev);
  } else {
    dev_rows = HoldOut(&*rows, opt.data.dev_fraction, opt.seed);
  }
  report->train_rows = static_cast<int64_t>(rows->size());
  report->dev_rows = static_cast<int64_t>(dev_rows.size());
  report->dropped_leaks = static_cast<int64_t>(stats.leaks_dropped);
  report->repaired_leaks = static_cast<int64_t>(stats.leaks_repaired);

  // The starting model, tokenizer and config.
  std::optional<InitModel> init;
  if (!opt.init_model.empty()) {
    auto read = ReadInitModel(opt.init_model);
    if (!read.ok()) return read.status();
    init = std::move(*read);
    CF_RETURN_IF_ERROR(ApplyInitModel(*init, &opt));
  }
  const std::string init_sha256 = init ? init->sha256 : "";
  CF_RETURN_IF_ERROR(
      PrepareTokenizer(opt, *rows, tok_path, /*reuse_existing=*/have_run, init ? &*init : nullptr));
  auto vocab = Vocab::Load(tok_path);
  if (!vocab.ok()) return vocab.status();
  opt.model.n_vocab = (*vocab)->size();
  if (have_run) {
    auto stored = ReadRunConfig(opt.run_dir);
    if (!stored.ok()) return stored.status();
    CF_RETURN_IF_ERROR(CheckResumable(stored->json, opt, init_sha256));
  } else {
    std::ofstream out(config_path, std::ios::binary);
    out << RunConfigJson(opt, init_sha256);
    if (!out) return Status::IOError("cannot write " + config_path);
  }
  auto builder = ExampleBuilder::Create(vocab->get(), opt.prompt_template, opt.data);
  if (!builder.ok()) return builder.status();
  EpochSource source(&*builder, &*rows, opt.data, opt.seed);
  std::vector<Example> dev_examples;
  for (const Triplet& t : dev_rows) dev_examples.push_back(builder->Build(t));
  const int64_t batches_per_epoch =
      (static_cast<int64_t>(source.size()) + opt.optim.batch_size - 1) / opt.optim.batch_size;
  const int64_t total_steps = opt.optim.max_steps > 0 ? opt.optim.max_steps : opt.optim.epochs * batches_per_epoch;

  // Model and optimiser.
  torch::manual_seed(opt.seed);
  FusionModel model(opt.model);
  CF_RETURN_IF_ERROR(MoveToDevice(model, opt.device));
  if (init && !resuming) CF_RETURN_IF_ERROR(LoadInitWeights(*init, model));
  model->train();
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model->named_parameters()) (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  auto adamw = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opt.optim.lr)
                                                            .betas({opt.optim.beta1, opt.optim.beta2})
                                                            .eps(opt.optim.eps)
                                                            .weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(opt.optim.weight_decay));
  groups.emplace_back(no_decay, adamw(0.0));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(opt.optim.lr));

  TrainState state;
  if (resuming) {
    CF_RETURN_IF_ERROR(LoadCheckpoint(last_path, model, &optimizer, &state, /*restore_rng=*/true));
    report->resumed = true;
    progress.Log("resumed " + opt.run_dir + " at step " + std::to_string(state.step));
  } else {
    char buf[512];
    int64_t n_params = 0;
    for (const auto& p : model->parameters()) n_params += p.numel();
    std::snprintf(buf, sizeof(buf),
                  "training %s: %zu rows (%zu leaking targets dropped, %zu repaired, %zu rejected), %zu dev rows, "
                  "%d pieces, %.2fM parameters, %lld steps",
                  opt.run_dir.c_str(), rows->size(), stats.leaks_dropped, stats.leaks_repaired, stats.rejected,
                  dev_rows.size(), opt.model.n_vocab, n_params / 1e6, static_cast<long long>(total_steps));
    progress.Log(buf);
    if (init) {
      progress.Log("starting from " + opt.init_model + " (" + init->architecture + ", sha256 " +
                   init->sha256.substr(0, 12) + ")");
    }
  }
  report->best_step = state.best_step;
  report->best_score = state.best_score;

  const auto session_start = Clock::now();
  const double seconds_before = state.seconds;
  const int64_t steps_before = state.step;
  int64_t session_tokens = 0;
  int64_t cached_epoch = -1;
  std::vector<Example> epoch_examples;
  std::vector<std::vector<uint32_t>> plan;
  double last_dev_loss = -1;
  auto session_seconds = [&] { return std::chrono::duration<double>(Clock::now() - session_start).count(); };

  auto save_last = [&]() { return SaveCheckpoint(last_path, model, &optimizer, state); };
  auto save_step = [&]() -> Status {
    CF_RETURN_IF_ERROR(SaveCheckpoint(StepName(ckpt_dir, state.step), model, nullptr, state));
    auto steps = StepCheckpoints(ckpt_dir);
    for (size_t i = 0; i + std::max(1, opt.keep_checkpoints) < steps.size(); ++i) fs::remove(steps[i].second, ec);
    return Status::OK();
  };
  // A fine-tuning run keeps its starting weights as step 0, so that `export
  // --average` can blend them with later steps (a smaller, safer update).
  if (init && !resuming) CF_RETURN_IF_ERROR(save_step());

  auto evaluate = [&](int epoch) -> Status {
    auto t0 = Clock::now();
    EvalResult r;
    r.step = state.step;
    r.epoch = epoch;
    r.train_loss = state.loss_steps > 0 ? state.loss_sum / state.loss_steps : 0;
    r.dev_loss = DevLoss(model, dev_examples, opt.optim.batch_size);
    last_dev_loss = r.dev_loss;
    if (opt.eval.decode_samples > 0) {
      GreedyOptions g;
      g.max_new_tokens = opt.eval.max_new_tokens;
      g.no_repeat_ngram = opt.eval.no_repeat_ngram;
      auto out = DecodeRows(model, *builder, dev_rows, opt.eval.decode_samples, g, opt.optim.batch_size);
      ScoreDecodes(dev_rows, out, &r);
      CF_RETURN_IF_ERROR(WriteSamples(samples_path, dev_rows, out, state.step));
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    r.tokens_per_second = session_seconds() > 0 ? session_tokens / session_seconds() : 0;
    double score = Score(r, opt.eval.select);
    bool best = state.best_step < 0 || score > state.best_score;
    if (best) {
      state.best_step = state.step;
      state.best_score = score;
      state.bad_evals = 0;
    } else {
      ++state.bad_evals;
    }
    state.loss_sum = 0;
    state.loss_steps = 0;
    state.last_eval_step = state.step;
    if (best) CF_RETURN_IF_ERROR(SaveCheckpoint(best_path, model, nullptr, state));
    CF_RETURN_IF_ERROR(AppendLine(log_path, EvalJson(r)));
    progress.Log(EvalLine(r, best));
    report->evals.push_back(r);
    return Status::OK();
  };

  while (state.step < total_steps && !state.stopped_early) {
    if (cached_epoch != state.epoch) {
      epoch_examples = source.Examples(static_cast<int>(state.epoch));
      std::vector<uint32_t> lengths;
      lengths.reserve(epoch_examples.size());
      for (const Example& e : epoch_examples) lengths.push_back(static_cast<uint32_t>(e.length()));
      plan = PlanEpoch(lengths, opt.optim.batch_size, opt.seed, static_cast<int>(state.epoch));
      cached_epoch = state.epoch;
    }
    if (state.batch_in_epoch >= static_cast<int64_t>(plan.size())) {
      ++state.epoch;
      state.batch_in_epoch = 0;
      continue;
    }
    std::vector<const Example*> part;
    for (uint32_t i : plan[state.batch_in_epoch]) part.push_back(&epoch_examples[i]);
    Batch batch = Collate(part);
    const double lr = LearningRate(opt.optim, state.step, total_steps);
    for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    optimizer.zero_grad();
    auto loss = FusionNll(model, batch, opt.optim.label_smoothing) /
                static_cast<double>(std::max<int64_t>(1, batch.target_tokens));
    loss.backward();
    if (opt.optim.clip > 0) torch::nn::utils::clip_grad_norm_(model->parameters(), opt.optim.clip);
    optimizer.step();
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      return Status::Internal("the training loss is not finite at step " + std::to_string(state.step) +
                              " (lower the learning rate?)");
    }

    ++state.step;
    ++state.batch_in_epoch;
    state.tokens_seen += batch.tokens;
    session_tokens += batch.tokens;
    state.loss_sum += loss_value;
    ++state.loss_steps;
    report->last_train_loss = loss_value;
    const int finished_epoch = static_cast<int>(state.epoch);
    const bool epoch_end = state.batch_in_epoch >= static_cast<int64_t>(plan.size());
    if (epoch_end) {
      ++state.epoch;
      state.batch_in_epoch = 0;
      report->epochs_done = static_cast<int>(state.epoch);
    }
    state.seconds = seconds_before + session_seconds();

    bool do_eval = opt.eval.every_steps > 0 ? state.step % opt.eval.every_steps == 0 : epoch_end;
    if (state.step == total_steps && state.last_eval_step != state.step) do_eval = true;
    if (do_eval) CF_RETURN_IF_ERROR(evaluate(finished_epoch + (epoch_end ? 1 : 0)));
    const bool stop_early = do_eval && opt.eval.patience > 0 && state.bad_evals >= opt.eval.patience;
    const bool interrupted = SignalGuard::received() != 0 ||
                             (opt.max_minutes > 0 && session_seconds() >= opt.max_minutes * 60) ||
                             (opt.stop_after_steps > 0 && state.step >= opt.stop_after_steps);
    if (stop_early) state.stopped_early = true;
    const bool periodic = opt.checkpoint_every > 0 && state.step % opt.checkpoint_every == 0;
    if (do_eval || periodic) CF_RETURN_IF_ERROR(save_step());
    if (do_eval || periodic || interrupted || stop_early || state.step == total_steps) CF_RETURN_IF_ERROR(save_last());

    const double secs = session_seconds();
    const double tps = secs > 0 ? session_tokens / secs : 0;
    const int64_t steps_done = state.step - steps_before;
    const double eta = steps_done > 0 ? (total_steps - state.step) * secs / steps_done : 0;
    char line[256];
    std::snprintf(line, sizeof(line), "epoch %lld step %lld/%lld loss %.4f dev %s %.0f tok/s ETA %s",
                  static_cast<long long>(state.epoch + (epoch_end ? 0 : 1)), static_cast<long long>(state.step),
                  static_cast<long long>(total_steps), loss_value,
                  last_dev_loss >= 0 ? std::to_string(last_dev_loss).substr(0, 6).c_str() : "-", tps,
                  Progress::Duration(eta).c_str());
    progress.Update(line, do_eval);
    report->tokens_per_second = tps;

    if (stop_early) {
      report->early_stopped = true;
      progress.Log("early stop at step " + std::to_string(state.step) + ": no better evaluation in " +
                   std::to_string(opt.eval.patience));
      break;
    }
    if (interrupted) {
      report->interrupted = true;
      report->signal = SignalGuard::received();
      progress.Log("stopped at step " + std::to_string(state.step) + "; checkpoint written, --resume continues");
      break;
    }
  }
  report->steps = state.step;
  report->epochs_done = static_cast<int>(state.epoch);
  report->best_step = state.best_step;
  report->best_score = state.best_score;
  report->early_stopped = report->early_stopped || state.stopped_early;
  report->last_checkpoint = last_path;
  report->best_checkpoint = state.best_step >= 0 ? best_path : "";
  if (state.step > 0 && !fs::exists(last_path, ec)) CF_RETURN_IF_ERROR(save_last());
  return Status::OK();
}

}  // namespace capsfusion::train
