// The trainer's public API: what `capsfusion train` and `capsfusion export` call.
//
// This header is free of LibTorch so that the CLI (and anything else in the
// runtime) can include it; everything that touches tensors lives in the
// capsfusion_train library behind it.
//
//   capsfusion::train::TrainOptions opt;
//   opt.run_dir = "runs/small";
//   opt.data.train_files = {"train.json"};
//   opt.data.dev_files = {"dev.json"};
//   capsfusion::train::TrainReport report;
//   Status s = capsfusion::train::Train(opt, &report);
//
// A run directory holds everything a run needs to resume or export:
// config.json, tokenizer.model, checkpoints/ (step-N.pt, last.pt, best.pt),
// log.jsonl (one line per evaluation) and dev-samples.jsonl.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capsfusion/status.h"

namespace capsfusion::train {

//! The compact prompt the default model is trained with. The special pieces are
//! user-defined tokens of the tokenizer, so they are matched literally; the
//! space after <raw> and <syn> gives a caption's first word the same piece it
//! has inside a sentence (the tokenizer adds a space only at the very start).
inline constexpr const char* kCompactTemplate = "<raw> {raw}<syn> {synthetic}<fus>";

//! Shape of the LLaMA-architecture model (engine conventions: RMSNorm, RoPE in
//! llama.cpp's normal mode, SwiGLU feed-forward, optional grouped-query
//! attention and tied embeddings) and of the optional copy head.
struct ModelConfig {
  int n_vocab = 0;  //!< set from the tokenizer
  int n_layer = 4;
  int n_embd = 256;
  int n_head = 8;
  int n_head_kv = 0;  //!< 0: n_head (no grouping)
  int n_ff = 768;
  int n_ctx = 256;
  float rope_freq_base = 10000.0f;
  float rms_eps = 1e-5f;
  bool tie_embeddings = true;
  //! A pointer distribution over the prompt's caption tokens, mixed with the
  //! vocabulary distribution by a learned gate (architecture capsfusion-copy).
  bool copy_head = true;
  int copy_dim = 0;  //!< 0: n_head_kv * head_dim (the most the engine's cache row holds)
  float dropout = 0.1f;

  int head_dim() const { return n_embd / n_head; }
  int kv_heads() const { return n_head_kv > 0 ? n_head_kv : n_head; }
  int copy_width() const { return copy_dim > 0 ? copy_dim : kv_heads() * head_dim(); }
  Status Validate() const;
};

//! What to do with targets that echo the fusion instruction.
enum class LeakMode {
  kKeep,    //!< train on them as they are
  kDrop,    //!< leave those rows out
  kRepair,  //!< drop the leaking sentences; drop the row when nothing is left
};
StatusOr<LeakMode> ParseLeakMode(const std::string& name);
const char* LeakModeName(LeakMode mode);

struct DataOptions {
  std::vector<std::string> train_files;
  std::vector<std::string> dev_files;  //!< empty: hold out dev_fraction of the training rows
  double dev_fraction = 0.05;
  std::string format = "auto";
  std::string raw_field = "laion_2b";
  std::string synthetic_field = "laion_coco";
  std::string target_field = "capsfuion_official";
  std::string dev_target_field;  //!< target field of the dev files; empty: target_field
  LeakMode leak = LeakMode::kDrop;
  size_t max_rows = 0;  //!< 0: all training rows
  int max_raw_tokens = 96;
  int max_synthetic_tokens = 48;
  int max_target_tokens = 96;
  //! Extra copies of every training row per epoch with the raw caption's
  //! capitalised words and numbers replaced consistently in all three captions.
  int augment_copies = 0;
  //! Extra plain caption-text examples (language modelling on the target and
  //! synthetic captions), as a fraction of the training rows per epoch.
  double lm_fraction = 0.0;
};

struct TokenizerOptions {
  std::string model_path;  //!< reuse this SentencePiece model instead of training one
  int vocab_size = 4000;
  double character_coverage = 1.0;
};

struct OptimOptions {
  double lr = 1.5e-3;
  double min_lr_ratio = 0.1;  //!< the cosine ends at lr * min_lr_ratio
  int warmup_steps = 150;
  double beta1 = 0.9, beta2 = 0.98, eps = 1e-8;
  double weight_decay = 0.05;  //!< matrices only, not norms
  double clip = 1.0;           //!< global gradient norm; 0: off
  //! Label smoothing of the training loss: (1 - e) * NLL + e * the mean NLL over
  //! the whole vocabulary (of the copy mixture with a copy head); 0: off. The dev
  //! loss is always the plain NLL.
  double label_smoothing = 0.0;
  int batch_size = 32;         //!< sequences per step
  int epochs = 10;
  int64_t max_steps = 0;       //!< 0: epochs decide; else the run stops here (and the schedule ends here)
};

struct EvalOptions {
  int64_t every_steps = 0;    //!< 0: once per epoch
  int decode_samples = 300;   //!< dev rows decoded greedily and scored at each evaluation
  int no_repeat_ngram = 3;    //!< greedy decoding never repeats an n-gram of this size; 0: off
  int max_new_tokens = 96;
  int patience = 3;           //!< evaluations without improvement before stopping; 0: never
  //! What picks the best checkpoint: "loss" (dev loss) or a decode score:
  //! "bleu4", "rouge_l", "cider" (when the metrics are available).
  std::string select = "loss";
};

struct TrainOptions {
  std::string run_dir;
  bool resume = false;     //!< continue from run_dir/checkpoints/last.pt when it exists
  bool overwrite = false;  //!< start afresh even if run_dir holds a run
  uint64_t seed = 1;
  int threads = 1;         //!< intra-op threads of LibTorch
  //! "cpu", "cuda" or "cuda:N" (CUDA needs a LibTorch built with it). Not part of the
  //! run's identity: a run may be resumed on another device.
  std::string device = "cpu";
  ModelConfig model;
  DataOptions data;
  TokenizerOptions tokenizer;
  OptimOptions optim;
  EvalOptions eval;
  int64_t checkpoint_every = 200;  //!< steps; 0: only at evaluations and at the end
  int keep_checkpoints = 5;        //!< step-N.pt files kept (for averaging)
  double max_minutes = 0;          //!< stop (with a checkpoint) after this long; 0: no limit
  int64_t stop_after_steps = 0;    //!< stop as if interrupted once this step is reached (tests)
  std::string prompt_template = kCompactTemplate;
  //! A GGUF model to start from (fine-tuning): its shape, tokenizer and prompt
  //! template replace the model, tokenizer and template options (a --tokenizer
  //! or a non-default template must then match the file's). Empty: random
  //! initialisation.
  std::string init_model;
  int progress = -1;               //!< -1: when stderr is a terminal; 0: never; 1: always
  bool quiet = false;              //!< no log lines on stderr at all
};

//! One evaluation on the dev split.
struct EvalResult {
  int64_t step = 0;
  int epoch = 0;
  double train_loss = 0;  //!< mean over the steps since the previous evaluation
  double dev_loss = 0;    //!< per target token
  int decoded = 0;        //!< dev rows decoded
  double bleu4 = -1, rouge_l = -1, cider = -1;  //!< -1: not computed
  // Fusion metrics of the decoded captions (docs/metrics.md), and of the
  // targets of the same rows for comparison.
  double leak_rate = 0;          //!< captions that echo the instruction
  double concat_rate = 0;        //!< captions that merely concatenate raw and synthetic
  double proper_retention = 0;   //!< raw proper words (names) kept
  double number_retention = 0;   //!< raw words with digits kept
  double reference_proper_retention = 0, reference_number_retention = 0;
  double seconds = 0;     //!< the evaluation's own time
  double tokens_per_second = 0;  //!< training throughput of this session so far
};

struct TrainReport {
  int64_t steps = 0;
  int epochs_done = 0;
  int64_t train_rows = 0, dev_rows = 0, dropped_leaks = 0, repaired_leaks = 0;
  double last_train_loss = 0;
  double tokens_per_second = 0;
  bool interrupted = false;    //!< a signal, --max-minutes or stop_after_steps ended the run early
  int signal = 0;              //!< the signal (SIGINT, SIGTERM) that ended it, or 0
  bool early_stopped = false;
  bool resumed = false;
  std::vector<EvalResult> evals;
  int64_t best_step = -1;
  double best_score = 0;
  std::string best_checkpoint, last_checkpoint;
};

//! Trains (or resumes) a run. Expected failures (bad files, bad flags, an
//! existing run without resume/overwrite) come back as a Status.
Status Train(const TrainOptions& options, TrainReport* report);

struct ExportOptions {
  std::string run_dir;
  std::string checkpoint = "best";  //!< "best", "last" or a path to a .pt file
  int average_last = 0;             //!< >1: average the weights of the newest N step checkpoints
  std::string output;               //!< .gguf path
  std::string type = "f32";         //!< "f32" or "q8_0" for the matrices (norms stay F32)
  std::string name;                 //!< general.name; empty: the run directory's name
  //! Added to the copy head's gate bias before writing: negative values make the
  //! model copy from its sources more often (a decoding-time calibration, tuned
  //! on dev data). 0: the trained value.
  float copy_gate_shift = 0.0f;
  //! > 0: the beam width `fuse` uses with this model unless told otherwise
  //! (metadata capsfusion.decoding.num_beams), tuned on dev data.
  int num_beams = 0;
  //! The length penalty and span continuation `fuse` uses with this model unless
  //! told otherwise (capsfusion.decoding.length_penalty, .span_bonus,
  //! .span_min_match), tuned on dev data; unset: none stored.
  std::optional<float> length_penalty;
  std::optional<float> span_bonus;
  int span_min_match = 0;  //!< 0: none stored
};

struct ExportReport {
  std::string architecture;  //!< "llama" or "capsfusion-copy"
  uint64_t n_params = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> averaged;  //!< checkpoints averaged, if any
};

//! Writes the run's model as a GGUF file with the tokenizer and the prompt
//! template in its metadata.
Status Export(const ExportOptions& options, ExportReport* report);

}  // namespace capsfusion::train
