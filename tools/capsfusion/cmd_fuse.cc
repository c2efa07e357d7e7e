// capsfusion fuse: read datasets, make one fused caption per row, write the rows back out,
// resumably, sharded across processes when asked (see docs/pipeline.md).
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "backend_options.h"
#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "command.h"
#include "fuse/caption_maker.h"
#include "fuse/dry_run.h"
#include "fuse/durable_file.h"
#include "fuse/pipeline.h"
#include "fuse/run_description.h"
#include "fuse/shard_env.h"
#include "fuse/shard_layout.h"
#include "input_options.h"
#include "qc_options.h"

namespace capsfusion::cli {

namespace {

//! The method used when --method is not given.
constexpr const char* kDefaultFuseMethod = "model";

std::atomic<int> g_stop_signal{0};

extern "C" void OnStopSignal(int sig) {
  g_stop_signal.store(sig);
  const char msg[] = "\ncapsfusion fuse: stopping after the current chunk (signal again to quit at once)\n";
  ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)n;
}

void InstallStopHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal takes its default action
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct FuseArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string method = kDefaultFuseMethod;
  std::string output_field = "capsfusion";
  std::string rejects;
  std::string summary_json;
  bool strict = false;
  bool quiet = false;
  InputOptions in;
  OutputOptions out;
  // model
  BackendArgs backend;
  std::string template_path;
  size_t max_prompt_tokens = 256;
  GenerateOptions gen;
  GenerateOptions retry;
  // QC
  bool no_qc = false;
  bool qc_baselines = false;
  std::string qc_policy;
  int qc_retries = 1;
  int qc_alternatives = -1;  // -1: every other beam
  bool num_beams_given = false;  // --num-beams on the command line (else the model's tuned width, if any)
  bool retry_num_beams_given = false;
  bool length_penalty_given = false;  // --length-penalty (else the model's tuned one, if any)
  bool span_given = false;            // --span-bonus (else the model's tuned one, if any)
  bool span_min_match_given = false;
  float min_length_ratio = 0;          // --min-length-ratio (else the model's, if any)
  std::string closest_to;              // --closest-to: field whose caption picks the beam
  std::string beam_choice;             // --beam-choice (else the model's, else model)
  float consensus_source_weight = 1;   // --consensus-source-weight (else the model's, else 1)
  bool consensus_source_weight_given = false;
  bool min_length_ratio_given = false;
  std::vector<float> expected_length;  // --expected-length A,B,C (else the model's, if any)
  QcFlags qc;
  // resume, sharding
  uint64_t chunk_rows = 10000;
  bool overwrite = false, keep_work = false;
  std::string shard;
  std::string shard_by = "auto";
  uint64_t shard_unit = 1000;
  uint32_t shard_count = 0;
  std::string provenance = "file";
  std::string progress = "auto";
  // dry run
  bool dry_run = false;
  uint64_t dry_run_rows = 200;
  uint32_t workers = 1;
  double price_per_hour = 0;
  bool gpu = false;
};

void Say(const FuseArgs& a, const std::string& line) {
  if (!a.quiet) std::fprintf(stderr, "capsfusion fuse: %s\n", line.c_str());
}

bool InputsCompressed(const std::vector<std::string>& inputs) {
  for (const std::string& p : inputs) {
    if (p == "-") return true;
    for (const char* s : {".gz", ".zst", ".parquet"}) {
      std::string suf(s);
      if (p.size() >= suf.size() && p.compare(p.size() - suf.size(), suf.size(), suf) == 0) return true;
    }
  }
  return false;
}

int RunFuse(const FuseArgs& a) {
  const std::string cmd = "fuse";
  InstallStopHandlers();
  auto method = ParseFuseMethod(a.method);
  if (!method.ok()) return Fail(cmd, method.status());
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  if (!a.closest_to.empty()) {
    if (*method != FuseMethod::kModel) return Fail(cmd, "--closest-to needs --method model (it chooses among beams)");
    ropt->fields.references = {a.closest_to};
  }
  if (a.chunk_rows == 0) return Fail(cmd, "--chunk-rows must be at least 1");
  if (a.shard_unit == 0) return Fail(cmd, "--shard-unit must be at least 1");
  if (a.provenance != "file" && a.provenance != "row") return Fail(cmd, "--provenance must be file or row");
  if (a.progress != "auto" && a.progress != "on" && a.progress != "off") return Fail(cmd, "--progress must be auto, on or off");

  // Which shard this process is.
  ShardSpec shard;
  if (!a.shard.empty()) {
    auto s = ParseShardSpec(a.shard);
    if (!s.ok()) return Fail(cmd, s.status());
    shard = *s;
  } else {
    auto s = DetectShard([](const char* name) { return std::getenv(name); }, a.shard_count);
    if (!s.ok()) return Fail(cmd, s.status());
    shard = *s;
  }
  auto by = ParseShardBy(a.shard_by);
  if (!by.ok()) return Fail(cmd, by.status());
  const ShardBy shard_by = ResolveShardBy(*by, a.inputs.size(), shard.count);
  const std::string output = a.dry_run ? a.output : ShardOutputPath(a.output, shard.index, shard.count);

  // What makes the captions.
  std::unique_ptr<Backend> backend;
  std::unique_ptr<ModelFuser> fuser;
  std::unique_ptr<CaptionMaker> maker;
  RunDescription run;
  LengthChoice length_choice;  // model method: off unless the model or the flags ask for it
  ConsensusChoice consensus_choice;  // model method: off unless the model or the flags ask for it
  size_t max_alternatives = static_cast<size_t>(-1);
  run.method = FuseMethodName(*method);
  GenerateOptions gen = a.gen, retry = a.retry;
  if (*method == FuseMethod::kModel) {
    std::string path;
    // The beam width the model was tuned for, unless --num-beams says otherwise.
    // Sampling (--temperature > 0) decodes one sequence per row unless told
    // otherwise (beam search does not sample).
    auto widths = [&](int recommended, int* gen_beams, int* retry_beams) {
      *gen_beams = a.gen.num_beams;
      if (!a.num_beams_given) {
        if (a.gen.temperature > 0) {
          *gen_beams = 1;
        } else if (recommended > 0) {
          *gen_beams = recommended;
        }
      }
      *retry_beams = !a.retry_num_beams_given && a.retry.temperature > 0 ? 1 : a.retry.num_beams;
    };
    auto widest = [&](int recommended) {
      int g = 1, r = 1;
      widths(recommended, &g, &r);
      return std::max(g, r);
    };
    auto made = MakeBackend(a.backend, widest, &path);
    if (!made.ok()) return Fail(cmd, made.status());
    backend = std::move(*made);
    widths(backend->info().recommended_num_beams, &gen.num_beams, &retry.num_beams);
    // The model's other tuned decoding settings, unless given.
    const BackendInfo& tuned = backend->info();
    for (GenerateOptions* g : {&gen, &retry}) {
      if (!a.length_penalty_given && tuned.recommended_length_penalty) {
        g->length_penalty = *tuned.recommended_length_penalty;
      }
      if (!a.span_given && tuned.recommended_span_bonus) g->span_bonus = *tuned.recommended_span_bonus;
      if (!a.span_min_match_given && tuned.recommended_span_min_match > 0) {
        g->span_min_match = tuned.recommended_span_min_match;
      }
    }
    // The length choice among the finished beams, the model's unless given.
    std::optional<std::array<float, 3>> expected = tuned.recommended_expected_length;
    if (!a.expected_length.empty()) {
      expected = std::array<float, 3>{a.expected_length[0], a.expected_length[1], a.expected_length[2]};
    }
    const float ratio = a.min_length_ratio_given ? a.min_length_ratio : tuned.recommended_min_length_ratio.value_or(0.0f);
    if (ratio > 0) {
      if (!expected) {
        Fail(cmd, "--min-length-ratio needs the expected length: give --expected-length A,B,C or store it in the "
                  "model (capsfusion set-decoding --fit-expected-length)");
        return kExitUsage;
      }
      length_choice.min_ratio = ratio;
      length_choice.expected = ExpectedLength{(*expected)[0], (*expected)[1], (*expected)[2]};
    }
    // The order of the finished beams, the model's unless given.
    const std::string choice = !a.beam_choice.empty()                   ? a.beam_choice
                               : !tuned.recommended_beam_choice.empty() ? tuned.recommended_beam_choice
                                                                        : "model";
    if (Status s = ParseBeamChoice(choice, &consensus_choice); !s.ok()) return Fail(cmd, s);
    consensus_choice.source_weight = a.consensus_source_weight_given ? a.consensus_source_weight
                                     : tuned.recommended_consensus_source_weight
                                         ? *tuned.recommended_consensus_source_weight
                                         : 1.0f;
    // QC may replace a failing caption by the next best beam that passes, and
    // the length choice picks among the beams: ask beam search for them.
    if (!a.no_qc) {
      for (GenerateOptions* g : {&gen, &retry}) {
        const int alternatives = a.qc_alternatives < 0 ? g->num_beams - 1 : a.qc_alternatives;
        g->num_return_sequences = std::max(1, std::min(g->num_beams, 1 + alternatives));
      }
      if (a.qc_alternatives >= 0) max_alternatives = static_cast<size_t>(a.qc_alternatives);
    } else {
      max_alternatives = 0;
    }
    if (length_choice.enabled() || consensus_choice.enabled || !a.closest_to.empty()) {
      for (GenerateOptions* g : {&gen, &retry}) g->num_return_sequences = g->num_beams;
    }
    ModelFuserOptions fopt;
    fopt.prompt.max_tokens = a.max_prompt_tokens;
    fopt.generate = gen;
    if (!a.template_path.empty()) {
      auto t = PromptTemplate::Load(a.template_path);
      if (!t.ok()) return Fail(cmd, t.status());
      fopt.prompt_template = *t;
    }
    fuser = std::make_unique<ModelFuser>(backend.get(), fopt);
    maker = MakeModelCaptionMaker(fuser.get(), retry, std::max<size_t>(1, a.backend.batch_size));
    run.backend = &backend->info();
    run.prompt_template = fuser->prompt_template();
    run.max_prompt_tokens = a.max_prompt_tokens;
    run.generate = gen;
    run.length_choice = length_choice;
    run.consensus_choice = consensus_choice;
    run.closest_to = a.closest_to;
    // The model line is for people watching; logs get the model in the summary line.
    if (StderrIsTerminal()) {
      Say(a, backend->info().kind + " model " + backend->info().model + " (" + path + "), template " +
                 fuser->prompt_template().id);
    }
  } else {
    maker = MakeBaselineCaptionMaker(*method);
  }

  run.retry = retry;

  // QC.
  QcSettings qc;
  qc.enabled = !a.no_qc && (*method == FuseMethod::kModel || a.qc_baselines);
  if (qc.enabled) {
    auto qopt = MakeQcOptions(a.qc);
    if (!qopt.ok()) return Fail(cmd, qopt.status());
    qc.options = *qopt;
    auto policy = QcPolicy::Parse(a.qc_policy, QcPolicy::Default());
    if (!policy.ok()) return Fail(cmd, policy.status());
    qc.policy = *policy;
    qc.max_retries = std::max(0, a.qc_retries);
  }
  run.qc = qc.enabled;
  run.qc_options = qc.options;
  run.qc_policy = qc.policy;
  run.qc_retries = qc.max_retries;

  run.inputs = a.inputs;
  run.input_format = a.in.format;
  run.fields = ropt->fields;
  run.max_field_bytes = a.in.max_field_bytes;
  run.output_field = a.output_field;
  run.shard_index = shard.index;
  run.shard_count = shard.count;
  run.shard_by = shard_by;
  run.shard_unit = a.shard_unit;
  run.provenance = a.provenance;

  PipelineOptions po;
  po.inputs = a.inputs;
  po.reader = *ropt;
  po.output = output;
  auto wopt = MakeWriterOptions(a.out);
  if (!wopt.ok()) return Fail(cmd, wopt.status());
  po.writer = *wopt;
  po.rejects = a.rejects.empty() ? (output == "-" ? "rejects.jsonl" : output + ".rejects.jsonl") : a.rejects;
  po.maker = maker.get();
  po.output_field = a.output_field;
  po.qc = qc;
  po.length_choice = length_choice;
  po.consensus_choice = consensus_choice;
  po.reference_choice = !a.closest_to.empty();
  po.max_alternatives = max_alternatives;
  po.shard_index = shard.index;
  po.shard_count = shard.count;
  po.shard_by = shard_by;
  po.shard_unit = a.shard_unit;
  po.chunk_rows = a.chunk_rows;
  po.provenance = BuildProvenance(run);
  po.provenance_row = a.provenance == "row";
  po.writer.parquet.key_value_metadata.push_back({"capsfusion.provenance", po.provenance.dump()});
  po.overwrite = a.overwrite;
  po.keep_work = a.keep_work;
  po.dry_run_rows = a.dry_run ? std::max<uint64_t>(1, a.dry_run_rows) : 0;
  if (output != "-" && !a.dry_run) {
    auto fp = BuildFingerprint(run);
    if (!fp.ok()) return Fail(cmd, fp.status());
    po.fingerprint = std::move(*fp);
  } else {
    po.fingerprint = {{"method", run.method}};
  }
  if (shard.count > 1) Say(a, DescribeShard(shard) + ", units of " +
                               (shard_by == ShardBy::kFiles ? std::string("one file") :
                                std::to_string(a.shard_unit) + " rows") + " -> " + output);

  const bool show = !a.quiet && (a.progress == "on" || (a.progress == "auto" && StderrIsTerminal()));
  ProgressLine progress(show, "capsfusion fuse");
  std::atomic<uint64_t> bytes_read{0};
  po.bytes_read = &bytes_read;
  if (!InputsCompressed(a.inputs)) {
    uint64_t total = 0;
    for (size_t f = 0; f < a.inputs.size(); ++f) {
      if (shard_by == ShardBy::kFiles && f % shard.count != shard.index) continue;
      total += static_cast<uint64_t>(std::max(0LL, FileSize(a.inputs[f])));
    }
    if (total > 0) progress.SetFraction([&bytes_read, total] { return static_cast<double>(bytes_read.load()) / total; });
  }
  po.progress = &progress;
  po.stop = &g_stop_signal;
  progress.Start();
  auto result = RunFusePipeline(po);
  progress.Stop();
  if (!result.ok()) return Fail(cmd, result.status());
  const PipelineResult& r = *result;

  if (r.state == PipelineResult::State::kDryRun) {
    DryRunFigures f;
    f.sample_rows = r.rows_this_run;
    f.sample_tokens = r.tokens_this_run;
    f.sample_seconds = r.seconds;
    auto total = CountInputRows(a.inputs, *ropt, uint64_t{2} << 30, r.rows_this_run, r.bytes_read);
    if (!total.ok()) return Fail(cmd, total.status());
    f.total = *total;
    const bool remote = backend && backend->info().kind == "remote";
    f.unit = a.gpu ? "GPU" : (remote ? "endpoint" : "core");
    unsigned cores = a.backend.threads > 0 ? static_cast<unsigned>(a.backend.threads) : std::thread::hardware_concurrency();
    f.units_per_worker = f.unit == "core" ? (backend ? std::max(1u, cores) : 1u) : 1;
    f.workers = std::max<uint32_t>(1, a.workers);
    f.price_per_hour = a.price_per_hour;
    auto proj = ProjectDryRun(f);
    proj["method"] = run.method;
    std::fputs(DescribeDryRun(proj).c_str(), stderr);
    if (!a.summary_json.empty()) {
      std::ofstream out(a.summary_json);
      out << proj.dump(2) << "\n";
      if (!out) return Fail(cmd, "cannot write " + a.summary_json);
    }
    return kExitOk;
  }

  if (r.state == PipelineResult::State::kAlreadyComplete) {
    Say(a, output + " is already complete (" + std::to_string(r.written) + " rows written, " +
               std::to_string(r.rejected) + " rejected); nothing to do");
  } else if (r.state == PipelineResult::State::kInterrupted) {
    int sig = g_stop_signal.load();
    if (output == "-") {
      std::fprintf(stderr, "capsfusion fuse: interrupted after %llu rows (-o - does not resume; write to a file for that)\n",
                   static_cast<unsigned long long>(r.rows));
    } else {
      std::fprintf(stderr,
                   "capsfusion fuse: interrupted; %llu rows of %s are committed in %s. Run the same command again to "
                   "resume.\n",
                   static_cast<unsigned long long>(r.rows), output.c_str(), WorkDirFor(output).c_str());
    }
    return sig > 0 ? 128 + sig : kExitFailure;
  } else if (!a.quiet) {
    char qcbuf[128] = "";
    if (qc.enabled) {
      std::snprintf(qcbuf, sizeof(qcbuf), ", QC flagged %llu, next beam %llu, retried %llu, dropped %llu",
                    static_cast<unsigned long long>(r.qc.flagged), static_cast<unsigned long long>(r.qc.alternative),
                    static_cast<unsigned long long>(r.qc.retried), static_cast<unsigned long long>(r.qc.dropped));
    }
    std::fprintf(stderr, "capsfusion fuse: %llu rows, %llu written to %s, %llu rejected%s%s%s (%.2f s, %.0f rows/s, method %s%s)\n",
                 static_cast<unsigned long long>(r.rows), static_cast<unsigned long long>(r.written), output.c_str(),
                 static_cast<unsigned long long>(r.rejected), r.rejected ? " -> " : "", r.rejected ? po.rejects.c_str() : "",
                 qcbuf, r.seconds, r.seconds > 0 ? r.rows_this_run / r.seconds : 0.0,
                 (backend ? run.method + " " + backend->info().model : run.method).c_str(),
                 r.resumed_rows > 0 ? (", resumed after " + std::to_string(r.resumed_rows) + " rows").c_str() : "");
  }
  if (!a.summary_json.empty()) {
    nlohmann::ordered_json j = r.summary;
    j["seconds"] = r.seconds;
    std::ofstream out(a.summary_json);
    out << j.dump(2) << "\n";
    if (!out) return Fail(cmd, "cannot write " + a.summary_json);
  }
  if (a.strict && r.rejected > 0) {
    std::fprintf(stderr, "capsfusion fuse: error: %llu rows rejected (--strict)\n", static_cast<unsigned long long>(r.rejected));
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void AddFuseCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<FuseArgs>();
  // Decoding defaults, measured on dev.json with the shipped model (models/README.md): beam
  // search of width 3 (the paper's), length penalty 2, no repeated 3-gram of generated tokens.
  args->gen.num_beams = 3;
  args->gen.length_penalty = 2.0f;
  args->gen.no_repeat_ngram_size = 3;
  args->gen.penalize_prompt = false;
  args->retry.num_beams = 5;
  args->retry.repetition_penalty = 1.3f;
  args->retry.no_repeat_ngram_size = 3;
  args->retry.no_adjacent_repeat = 2;
  args->retry.penalize_prompt = false;
  CLI::App* sub = app.add_subcommand("fuse", "Fuse the raw and synthetic captions of every row into one caption");
  sub->footer(
      "Each output row is the input row, untouched, plus the fused caption (field `capsfusion`) and, when\n"
      "checked, the failed quality checks (field `qc_reasons`). Rows that cannot be read or fused go to\n"
      "OUTPUT.rejects.jsonl with the place and the reason; OUTPUT.summary.json is written last.\n"
      "The run keeps its state in OUTPUT.work/: run the same command again after a crash or Ctrl-C to\n"
      "resume. See docs/pipeline.md.\n\n"
      "Examples:\n"
      "  capsfusion fuse dev.json -o fused.jsonl                        # the shipped model\n"
      "  capsfusion fuse dev.json -o concat.jsonl --method concat\n"
      "  capsfusion fuse part-*.csv.gz -o fused.csv --raw-field alt --synthetic-field blip\n"
      "  capsfusion fuse laion.parquet -o fused.parquet --model big.gguf --qc-policy language=drop\n"
      "  capsfusion fuse part-*.parquet -o fused.parquet --shard 2/8   # then: capsfusion merge fused.parquet\n"
      "  capsfusion fuse laion.parquet -o fused.parquet --dry-run --workers 16 --price-per-hour 0.04");
  sub->add_option("inputs", args->inputs, "Dataset files (JSON, JSONL, CSV, TSV; .gz/.zst ok; - for stdin; .parquet; WebDataset .tar shards)")->required();
  sub->add_option("-o,--output", args->output, "Output file (.jsonl, .json, .csv/.tsv, .parquet, or .tar for a WebDataset shard; - for stdout, without resume)")->required();
  sub->add_option("-m,--method", args->method, "model | raw | synthetic | concat (the last three are baselines)")->capture_default_str();
  sub->add_option("--output-field", args->output_field, "Field that receives the fused caption")->capture_default_str();
  sub->add_option("--rejects", args->rejects, "Where rejected rows go (default: OUTPUT.rejects.jsonl)");
  sub->add_option("--summary-json", args->summary_json, "Also write the run summary (or the dry-run projection) as JSON to this file");
  sub->add_flag("--strict", args->strict, "Exit with code 3 when any row was rejected");
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  sub->add_option("--progress", args->progress, "Live progress line: auto (on a terminal) | on | off")->capture_default_str();
  sub->add_option("--provenance", args->provenance, "file: provenance in OUTPUT.summary.json (and Parquet metadata); row: also in every row (field capsfusion_provenance)")->capture_default_str();
  AddInputOptions(sub, &args->in);
  AddOutputOptions(sub, &args->out);

  const char* r = "Resume and sharding";
  sub->add_option("--chunk-rows", args->chunk_rows, "Input rows per committed chunk of OUTPUT.work/ (chunks grow to 1% of the rows done, at most 100x this)")->capture_default_str()->group(r);
  sub->add_flag("--overwrite", args->overwrite, "Start over, discarding OUTPUT.work/ and a finished OUTPUT made with other settings")->group(r);
  sub->add_flag("--keep-work", args->keep_work, "Keep OUTPUT.work/ after the output is complete")->group(r);
  sub->add_option("--shard", args->shard, "Do shard I of N (0-based, e.g. 2/8); default: from Slurm, MPI or Kubernetes, else 0/1")->group(r);
  sub->add_option("--shard-by", args->shard_by, "Units dealt to shards: rows | files | auto (files when there are at least N inputs)")->capture_default_str()->group(r);
  sub->add_option("--shard-unit", args->shard_unit, "Rows per unit with --shard-by rows")->capture_default_str()->group(r);
  sub->add_option("--shard-count", args->shard_count, "Number of shards of a Kubernetes indexed job (JOB_COMPLETION_INDEX)")->group(r);

  const char* g = "Model";
  AddBackendOptions(sub, &args->backend, g);
  sub->add_option("--template", args->template_path, "Prompt template file with {raw} and {synthetic} (default: the model's, else the paper's)")->group(g);
  sub->add_option("--max-prompt-tokens", args->max_prompt_tokens, "Prompt token budget; the raw caption's tail is cut to fit")->capture_default_str()->group(g);
  sub->add_option("--max-new-tokens", args->gen.max_new_tokens, "Most tokens generated per caption")->capture_default_str()->group(g);
  sub->add_option("--num-beams", args->gen.num_beams, "Beam search width (1: greedy or sampling; default: 1 when sampling, else the model's tuned width if its file gives one, else 3)")->capture_default_str()->group(g);
  sub->add_option("--length-penalty", args->gen.length_penalty, "Beam search length penalty (default: the model's tuned one if its file gives one, else 2)")->capture_default_str()->group(g);
  sub->add_option("--span-bonus", args->gen.span_bonus, "Added to the log-probability of the token that continues a span of 3 or more tokens copied from the prompt, so names are copied in order (0: off; default: the model's tuned value if its file gives one, else 0)")->check(CLI::Range(0.0, 100.0))->capture_default_str()->group(g);
  sub->add_option("--span-min-match", args->gen.span_min_match, "Shortest copied span that earns --span-bonus (default: the model's, else 3)")->check(CLI::Range(1, 32))->capture_default_str()->group(g);
  sub->add_option("--min-length-ratio", args->min_length_ratio, "Take the best beam with at least this share of the expected words (--expected-length), the longest when none has (0: off; default: the model's, else 0)")->check(CLI::Range(0.0, 10.0))->group(g);
  sub->add_option("--beam-choice", args->beam_choice, "Order of the finished beams: model (by probability) | consensus (by agreement with the other beams and the sources: minimum Bayes risk; within the length choice) (default: the model's, else model)")->check(CLI::IsMember({"model", "consensus"}))->group(g);
  sub->add_option("--consensus-source-weight", args->consensus_source_weight, "Consensus choice: weight of a beam's closeness to the two sources against its closeness to the other beams (default: the model's, else 1)")->check(CLI::Range(0.0, 100.0))->group(g);
  sub->add_option("--closest-to", args->closest_to, "Among the beams, put first the one closest to this field's caption (sentence ROUGE-L + smoothed BLEU-4), so QC keeps the closest that passes: the model's own captions as training targets (docs/training.md)")->group(g);
  sub->add_option("--expected-length", args->expected_length, "Expected words A,B,C of a fused caption: A + B x raw words + C x synthetic words (default: the model's; capsfusion set-decoding --fit-expected-length)")->delimiter(',')->expected(3)->group(g);
  sub->add_option("--no-adjacent-repeat", args->gen.no_adjacent_repeat, "Forbid a block of up to this many tokens written twice in a row (\"a tree tree\") unless a source has it doubled (0: off)")->check(CLI::Range(0, 32))->capture_default_str()->group(g);
  sub->add_option("--temperature", args->gen.temperature, "Sampling temperature (0: greedy)")->capture_default_str()->group(g);
  sub->add_option("--top-k", args->gen.top_k, "Sample from the k most likely tokens (0: off)")->capture_default_str()->group(g);
  sub->add_option("--top-p", args->gen.top_p, "Nucleus sampling threshold (1: off)")->capture_default_str()->group(g);
  sub->add_option("--seed", args->gen.seed, "Sampling seed")->capture_default_str()->group(g);
  sub->add_option("--repetition-penalty", args->gen.repetition_penalty, "Penalty on tokens already present (1: off)")->capture_default_str()->group(g);
  sub->add_option("--no-repeat-ngram-size", args->gen.no_repeat_ngram_size, "Forbid repeating n-grams of this size (0: off)")->capture_default_str()->group(g);
  sub->add_flag("--penalize-prompt", args->gen.penalize_prompt, "Repetition penalty and no-repeat n-grams count the prompt's tokens too (Hugging Face's behaviour; it blocks copying)")->group(g);
  sub->add_flag("!--penalize-generated-only", args->gen.penalize_prompt, "Penalties count only generated tokens (the default)")->group(g);

  const char* q = "Quality checks";
  sub->add_flag("--no-qc", args->no_qc, "Do not check fused captions (no qc_reasons field)")->group(q);
  sub->add_flag("--qc", args->qc_baselines, "Check baseline captions too (model captions are checked unless --no-qc)")->group(q);
  sub->add_option("--qc-policy", args->qc_policy, "reason=action,... on top of the default (retry empty, prompt_leak, repetition, concatenation; keep the rest). Actions: keep, retry, synthetic, raw, drop")->group(q);
  sub->add_option("--qc-retries", args->qc_retries, "Times a row whose action is retry is fused again")->capture_default_str()->group(q);
  sub->add_option("--qc-alternatives", args->qc_alternatives, "A caption that fails a check is replaced by the best of this many next beam hypotheses that passes them all, before any retry (default: all num_beams - 1; 0: off)")->check(CLI::Range(0, 64))->group(q);
  sub->add_option("--retry-num-beams", args->retry.num_beams, "Beam width of retries")->capture_default_str()->group(q);
  sub->add_option("--retry-repetition-penalty", args->retry.repetition_penalty, "Repetition penalty of retries (generated tokens only)")->capture_default_str()->group(q);
  sub->add_option("--retry-no-repeat-ngram-size", args->retry.no_repeat_ngram_size, "No-repeat n-gram size of retries (generated tokens only)")->capture_default_str()->group(q);
  sub->add_option("--retry-no-adjacent-repeat", args->retry.no_adjacent_repeat, "--no-adjacent-repeat of retries")->check(CLI::Range(0, 32))->capture_default_str()->group(q);
  AddQcFlags(sub, &args->qc, q);

  const char* d = "Dry run";
  sub->add_flag("--dry-run", args->dry_run, "Fuse a sample from the head of the input (nothing written) and project the whole job's time and cost")->group(d);
  sub->add_option("--dry-run-rows", args->dry_run_rows, "Rows in the sample")->capture_default_str()->group(d);
  sub->add_option("--workers", args->workers, "Workers (processes or shards) for the projected wall time")->capture_default_str()->group(d);
  sub->add_option("--price-per-hour", args->price_per_hour, "Price of one core-hour (GPU-hour with --gpu, endpoint-hour for a remote model)")->group(d);
  sub->add_flag("--gpu", args->gpu, "Count hours per worker as GPU-hours")->group(d);
  sub->callback([args, run, sub] {
    // The retry decoding keeps the main run's length and sampling settings.
    args->retry.max_new_tokens = args->gen.max_new_tokens;
    args->retry.length_penalty = args->gen.length_penalty;
    args->retry.temperature = args->gen.temperature;
    args->retry.top_k = args->gen.top_k;
    args->retry.top_p = args->gen.top_p;
    args->retry.seed = args->gen.seed;
    args->retry.stop = args->gen.stop;
    args->num_beams_given = sub->get_option("--num-beams")->count() > 0;
    args->retry_num_beams_given = sub->get_option("--retry-num-beams")->count() > 0;
    args->length_penalty_given = sub->get_option("--length-penalty")->count() > 0;
    args->span_given = sub->get_option("--span-bonus")->count() > 0;
    args->span_min_match_given = sub->get_option("--span-min-match")->count() > 0;
    args->min_length_ratio_given = sub->get_option("--min-length-ratio")->count() > 0;
    args->consensus_source_weight_given = sub->get_option("--consensus-source-weight")->count() > 0;
    args->retry.span_bonus = args->gen.span_bonus;
    args->retry.span_min_match = args->gen.span_min_match;
    *run = [args] { return RunFuse(*args); };
  });
}

}  // namespace capsfusion::cli
