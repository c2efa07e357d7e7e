// capsfusion train: distil fused captions into a compact model (LibTorch trainer).
#include <cstdio>
#include <memory>

#include "train/train.h"
#include "train_commands.h"

namespace capsfusion::cli {

namespace {

struct TrainArgs {
  train::TrainOptions opt;
  std::string leak = "drop";
  std::string progress = "auto";
  bool no_tie = false, no_copy = false;
  std::string export_path, export_type = "f32";
  int export_average = 0;
};

int RunTrain(TrainArgs& a) {
  auto leak = train::ParseLeakMode(a.leak);
  if (!leak.ok()) return Fail("train", leak.status());
  a.opt.data.leak = *leak;
  a.opt.model.tie_embeddings = !a.no_tie;
  a.opt.model.copy_head = !a.no_copy;
  if (a.progress == "auto") {
    a.opt.progress = -1;
  } else if (a.progress == "on") {
    a.opt.progress = 1;
  } else if (a.progress == "off") {
    a.opt.progress = 0;
  } else {
    return Fail("train", "--progress must be auto, on or off");
  }
  train::TrainReport report;
  Status s = train::Train(a.opt, &report);
  if (!s.ok()) return Fail("train", s);
  if (report.interrupted) {
    std::fprintf(stderr, "capsfusion train: stopped at step %lld; run again with --resume to continue\n",
                 static_cast<long long>(report.steps));
    return report.signal != 0 ? 128 + report.signal : kExitOk;
  }
  if (!a.opt.quiet) {
    std::fprintf(stderr, "capsfusion train: %s after %lld steps; best step %lld (%s)\n",
                 report.early_stopped ? "stopped early" : "done", static_cast<long long>(report.steps),
                 static_cast<long long>(report.best_step), report.best_checkpoint.c_str());
  }
  if (!a.export_path.empty()) {
    train::ExportOptions e;
    e.run_dir = a.opt.run_dir;
    e.output = a.export_path;
    e.type = a.export_type;
    e.average_last = a.export_average;
    train::ExportReport er;
    Status es = train::Export(e, &er);
    if (!es.ok()) return Fail("train", es);
    if (!a.opt.quiet) {
      std::fprintf(stderr, "capsfusion train: wrote %s (%s, %.2fM parameters, %llu bytes)\n", a.export_path.c_str(),
                   er.architecture.c_str(), er.n_params / 1e6, static_cast<unsigned long long>(er.file_bytes));
    }
  }
  return kExitOk;
}

}  // namespace

void AddTrainCommand(CLI::App& app, Runner* run) {
  auto a = std::make_shared<TrainArgs>();
  train::TrainOptions& o = a->opt;
  CLI::App* sub = app.add_subcommand("train", "Train a compact fusion model on (raw, synthetic) -> fused captions");
  sub->footer(
      "The run directory keeps the config, tokenizer, checkpoints and logs; SIGINT/SIGTERM write a\n"
      "checkpoint and `--resume` continues exactly where the run stopped. See docs/training.md.\n"
      "Examples:\n"
      "  capsfusion train train.json --dev dev.json -o runs/small --export models/small.gguf\n"
      "  capsfusion train train.json --dev dev.json -o runs/small --resume\n"
      "  capsfusion train teacher.jsonl --target-field fused -o runs/tuned --init models/capsfusion-default.gguf\n"
      "  capsfusion export runs/small -o models/small-q8.gguf --type q8_0 --average 5");
  sub->add_option("inputs", o.data.train_files, "Training files (JSON, JSONL, CSV, TSV; .gz/.zst ok)")->required();
  sub->add_option("-o,--run-dir", o.run_dir, "Run directory (created)")->required();
  sub->add_option("--dev", o.data.dev_files, "Dev files (default: hold out --dev-fraction of the training rows)");
  sub->add_flag("--resume", o.resume, "Continue the run in --run-dir from its last checkpoint");
  sub->add_flag("--overwrite", o.overwrite, "Start afresh, deleting the run in --run-dir");
  sub->add_option("--seed", o.seed, "Seed of everything random")->capture_default_str();
  sub->add_option("--threads", o.threads, "LibTorch threads")->capture_default_str();
  sub->add_option("--device", o.device, "cpu, cuda or cuda:N (CUDA needs a LibTorch built with it)")->capture_default_str();
  sub->add_option("--progress", a->progress, "Live progress line: auto (on a terminal), on, off")->capture_default_str();
  sub->add_flag("-q,--quiet", o.quiet, "No log lines");

  const char* data = "Data";
  sub->add_option("--format", o.data.format, "Input format: auto, json, jsonl, csv, tsv")->capture_default_str()->group(data);
  sub->add_option("--raw-field", o.data.raw_field, "Field with the raw caption")->capture_default_str()->group(data);
  sub->add_option("--synthetic-field", o.data.synthetic_field, "Field with the synthetic caption")->capture_default_str()->group(data);
  sub->add_option("--target-field", o.data.target_field, "Field with the fused target caption")->capture_default_str()->group(data);
  sub->add_option("--dev-target-field", o.data.dev_target_field, "Field with the target caption in the --dev files (default: --target-field)")->group(data);
  sub->add_option("--dev-fraction", o.data.dev_fraction, "Share of rows held out without --dev")->capture_default_str()->group(data);
  sub->add_option("--leak", a->leak, "Targets that echo the instruction: keep, drop, repair")->capture_default_str()->group(data);
  sub->add_option("--max-rows", o.data.max_rows, "Read at most this many training rows (0: all)")->group(data);
  sub->add_option("--max-raw-tokens", o.data.max_raw_tokens, "Raw caption cut to this many tokens")->capture_default_str()->group(data);
  sub->add_option("--max-synthetic-tokens", o.data.max_synthetic_tokens, "Synthetic caption cut")->capture_default_str()->group(data);
  sub->add_option("--max-target-tokens", o.data.max_target_tokens, "Target caption cut")->capture_default_str()->group(data);
  sub->add_option("--augment-copies", o.data.augment_copies,
                  "Copies per row and epoch with names and numbers replaced consistently")->capture_default_str()->group(data);
  sub->add_option("--lm-fraction", o.data.lm_fraction,
                  "Extra caption-text (language modelling) examples, as a share of the rows")->capture_default_str()->group(data);
  sub->add_option("--template", o.prompt_template, "Compact prompt template (special pieces plus {raw}, {synthetic})")
      ->capture_default_str()->group(data);

  const char* tok = "Tokenizer";
  sub->add_option("--tokenizer", o.tokenizer.model_path, "Use this SentencePiece .model instead of training one")->group(tok);
  sub->add_option("--vocab-size", o.tokenizer.vocab_size, "Pieces of the trained tokenizer")->capture_default_str()->group(tok);

  const char* model = "Model";
  sub->add_option("--layers", o.model.n_layer, "Blocks")->capture_default_str()->group(model);
  sub->add_option("--dim", o.model.n_embd, "Width")->capture_default_str()->group(model);
  sub->add_option("--heads", o.model.n_head, "Attention heads")->capture_default_str()->group(model);
  sub->add_option("--kv-heads", o.model.n_head_kv, "Key/value heads (grouped-query attention; 0: --heads)")->group(model);
  sub->add_option("--ff", o.model.n_ff, "Feed-forward width")->capture_default_str()->group(model);
  sub->add_option("--ctx", o.model.n_ctx, "Context length")->capture_default_str()->group(model);
  sub->add_option("--rope-base", o.model.rope_freq_base, "RoPE frequency base")->capture_default_str()->group(model);
  sub->add_option("--dropout", o.model.dropout, "Dropout")->capture_default_str()->group(model);
  sub->add_flag("--no-tie", a->no_tie, "A separate output projection instead of the tied embedding")->group(model);
  sub->add_flag("--no-copy-head", a->no_copy, "Plain LLaMA (no copy head; loads in llama.cpp)")->group(model);
  sub->add_option("--copy-dim", o.model.copy_dim, "Copy head query/key width (0 and at most: kv-heads * dim / heads)")->group(model);
  sub->add_option("--init", o.init_model,
                  "Start from this GGUF model (fine-tuning): its shape, tokenizer and template replace the options above")
      ->group(model);

  const char* optim = "Optimisation";
  sub->add_option("--lr", o.optim.lr, "Peak learning rate")->capture_default_str()->group(optim);
  sub->add_option("--min-lr-ratio", o.optim.min_lr_ratio, "Final learning rate / peak")->capture_default_str()->group(optim);
  sub->add_option("--warmup", o.optim.warmup_steps, "Warm-up steps")->capture_default_str()->group(optim);
  sub->add_option("--weight-decay", o.optim.weight_decay, "AdamW weight decay (matrices)")->capture_default_str()->group(optim);
  sub->add_option("--beta1", o.optim.beta1, "AdamW beta1")->capture_default_str()->group(optim);
  sub->add_option("--beta2", o.optim.beta2, "AdamW beta2")->capture_default_str()->group(optim);
  sub->add_option("--label-smoothing", o.optim.label_smoothing,
                  "Label smoothing of the training loss (0: off; the dev loss stays plain)")
      ->capture_default_str()
      ->group(optim);
  sub->add_option("--clip", o.optim.clip, "Gradient-norm clipping (0: off)")->capture_default_str()->group(optim);
  sub->add_option("--batch-size", o.optim.batch_size, "Sequences per step")->capture_default_str()->group(optim);
  sub->add_option("--epochs", o.optim.epochs, "Epochs")->capture_default_str()->group(optim);
  sub->add_option("--max-steps", o.optim.max_steps, "Steps (overrides --epochs)")->group(optim);

  const char* ev = "Evaluation and checkpoints";
  sub->add_option("--eval-every", o.eval.every_steps, "Evaluate every N steps (0: each epoch)")->capture_default_str()->group(ev);
  sub->add_option("--dev-samples", o.eval.decode_samples, "Dev rows decoded and scored per evaluation")->capture_default_str()->group(ev);
  sub->add_option("--no-repeat-ngram", o.eval.no_repeat_ngram, "Greedy decoding never repeats an n-gram (0: off)")->capture_default_str()->group(ev);
  sub->add_option("--max-new-tokens", o.eval.max_new_tokens, "Decoding length limit")->capture_default_str()->group(ev);
  sub->add_option("--patience", o.eval.patience, "Stop after N evaluations without improvement (0: never)")->capture_default_str()->group(ev);
  sub->add_option("--select", o.eval.select, "Best checkpoint by: loss, bleu4, rouge_l, cider")->capture_default_str()->group(ev);
  sub->add_option("--checkpoint-every", o.checkpoint_every, "Steps between checkpoints (0: evaluations only)")->capture_default_str()->group(ev);
  sub->add_option("--keep-checkpoints", o.keep_checkpoints, "Step checkpoints kept (for --average)")->capture_default_str()->group(ev);
  sub->add_option("--max-minutes", o.max_minutes, "Stop with a checkpoint after this long (0: no limit)")->group(ev);
  sub->add_option("--stop-after-steps", o.stop_after_steps, "Stop with a checkpoint at this step, as if interrupted")->group(ev);

  const char* ex = "Export";
  sub->add_option("--export", a->export_path, "Write the best model to this GGUF file at the end")->group(ex);
  sub->add_option("--export-type", a->export_type, "f32 or q8_0")->capture_default_str()->group(ex);
  sub->add_option("--export-average", a->export_average, "Average the newest N step checkpoints instead")->group(ex);

  sub->callback([a, run] { *run = [a] { return RunTrain(*a); }; });
}

}  // namespace capsfusion::cli
