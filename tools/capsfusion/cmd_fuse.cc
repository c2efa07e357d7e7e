// capsfusion fuse: read datasets, make one fused caption per row, write the rows back out.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "command.h"
#include "fuse/baseline.h"
#include "fuse/model_fuser.h"
#include "backend_options.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

struct FuseArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string method = "concat";
  std::string output_field = "capsfusion";
  std::string rejects;
  std::string summary_json;
  bool strict = false;
  bool quiet = false;
  InputOptions in;
  OutputOptions out;
  // --method model
  BackendArgs backend;
  std::string template_path;
  size_t max_prompt_tokens = 256;
  GenerateOptions gen;
};

struct FuseSummary {
  uint64_t rows = 0, written = 0, rejected = 0, new_tokens = 0;
  double seconds = 0;
};

int RunFuse(const FuseArgs& a) {
  const std::string cmd = "fuse";
  auto method = ParseFuseMethod(a.method);
  if (!method.ok()) return Fail(cmd, method.status());
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());

  std::unique_ptr<Backend> backend;
  std::unique_ptr<ModelFuser> fuser;
  if (*method == FuseMethod::kModel) {
    std::string path;
    auto made = MakeBackend(a.backend, a.gen.num_beams, &path);
    if (!made.ok()) return Fail(cmd, made.status());
    backend = std::move(*made);
    ModelFuserOptions fopt;
    fopt.prompt.max_tokens = a.max_prompt_tokens;
    fopt.generate = a.gen;
    if (!a.template_path.empty()) {
      auto t = PromptTemplate::Load(a.template_path);
      if (!t.ok()) return Fail(cmd, t.status());
      fopt.prompt_template = *t;
    }
    fuser = std::make_unique<ModelFuser>(backend.get(), fopt);
    if (!a.quiet) {
      std::fprintf(stderr, "capsfusion fuse: %s model %s (%s), template %s\n", backend->info().kind.c_str(),
                   backend->info().model.c_str(), path.c_str(), fuser->prompt_template().id.c_str());
    }
  }

  auto wopt = MakeWriterOptions(a.out);
  if (!wopt.ok()) return Fail(cmd, wopt.status());
  auto writer = RecordWriter::Open(a.output, *wopt);
  if (!writer.ok()) return Fail(cmd, writer.status());
  std::string rejects_path = a.rejects.empty() ? (a.output == "-" ? "rejects.jsonl" : a.output + ".rejects.jsonl") : a.rejects;
  RejectWriter rejects(rejects_path);

  FuseSummary sum;
  auto start = std::chrono::steady_clock::now();
  auto reject = [&](const Reject& rej) -> Status {
    ++sum.rejected;
    if (!a.quiet) std::fprintf(stderr, "capsfusion fuse: rejected %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
    return rejects.Write(rej);
  };

  std::vector<Record> batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::OK();
    std::vector<FusedCaption> fused(batch.size());
    if (fuser) {
      std::vector<const Record*> ptrs;
      for (const Record& r : batch) ptrs.push_back(&r);
      auto res = fuser->Fuse(ptrs);
      if (!res.ok()) return res.status();
      fused = std::move(*res);
    } else {
      for (size_t i = 0; i < batch.size(); ++i) fused[i].text = BaselineCaption(*method, batch[i].raw, batch[i].synthetic);
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      Record& rec = batch[i];
      if (!fused[i].status.ok()) {
        CF_RETURN_IF_ERROR(reject(Reject{rec.origin, fused[i].status.ToString(), rec.raw}));
        continue;
      }
      sum.new_tokens += fused[i].new_tokens;
      rec.SetString(a.output_field, fused[i].text);
      CF_RETURN_IF_ERROR((*writer)->Write(rec));
      ++sum.written;
    }
    batch.clear();
    return Status::OK();
  };

  const size_t batch_size = fuser ? std::max<size_t>(1, a.backend.batch_size) : 1;
  Record rec;
  Reject rej;
  for (const std::string& path : a.inputs) {
    auto reader = RecordReader::Open(path, *ropt);
    if (!reader.ok()) return Fail(cmd, reader.status());
    for (;;) {
      auto r = (*reader)->Next(&rec, &rej);
      if (r == RecordReader::Result::kEnd) break;
      ++sum.rows;
      if (r == RecordReader::Result::kReject) {
        Status s = reject(rej);
        if (!s.ok()) return Fail(cmd, s);
        continue;
      }
      batch.push_back(std::move(rec));
      rec = Record();
      if (batch.size() >= batch_size) {
        Status s = flush();
        if (!s.ok()) return Fail(cmd, s);
      }
    }
    if (!(*reader)->status().ok()) return Fail(cmd, (*reader)->status());
  }
  {
    Status s = flush();
    if (!s.ok()) return Fail(cmd, s);
  }
  Status s = (*writer)->Close();
  if (!s.ok()) return Fail(cmd, s);
  s = rejects.Close();
  if (!s.ok()) return Fail(cmd, s);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!a.quiet) {
    std::fprintf(stderr, "capsfusion fuse: %llu rows, %llu written to %s, %llu rejected%s%s (%.2f s, %.0f rows/s, method %s)\n",
                 (unsigned long long)sum.rows, (unsigned long long)sum.written, a.output.c_str(),
                 (unsigned long long)sum.rejected, sum.rejected ? " -> " : "", sum.rejected ? rejects_path.c_str() : "",
                 sum.seconds, sum.seconds > 0 ? sum.rows / sum.seconds : 0.0, FuseMethodName(*method));
  }
  if (!a.summary_json.empty()) {
    nlohmann::ordered_json j;
    j["inputs"] = a.inputs;
    j["output"] = a.output;
    j["method"] = FuseMethodName(*method);
    j["rows"] = sum.rows;
    j["written"] = sum.written;
    j["rejected"] = sum.rejected;
    j["rejects_file"] = sum.rejected ? rejects_path : "";
    j["seconds"] = sum.seconds;
    if (fuser) j["new_tokens"] = sum.new_tokens;
    std::ofstream out(a.summary_json);
    out << j.dump(2) << "\n";
    if (!out) return Fail(cmd, "cannot write " + a.summary_json);
  }
  if (a.strict && sum.rejected > 0) {
    std::fprintf(stderr, "capsfusion fuse: error: %llu rows rejected (--strict)\n", (unsigned long long)sum.rejected);
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void AddFuseCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<FuseArgs>();
  CLI::App* sub = app.add_subcommand("fuse", "Fuse the raw and synthetic captions of every row into one caption");
  sub->footer(
      "Each output row is the input row, untouched, plus the fused caption (field `capsfusion`).\n"
      "Rows that cannot be read go to OUTPUT.rejects.jsonl with the place and the reason.\n\n"
      "Examples:\n"
      "  capsfusion fuse dev.json -o fused.jsonl --method concat\n"
      "  capsfusion fuse part-*.csv.gz -o fused.csv --raw-field alt --synthetic-field blip\n"
      "  capsfusion fuse laion.parquet -o fused.parquet --raw-field TEXT --synthetic-field blip\n"
      "  capsfusion fuse 00000.tar -o 00000.fused.tar --raw-field txt --synthetic-field blip");
  sub->add_option("inputs", args->inputs, "Dataset files (JSON, JSONL, CSV, TSV; .gz/.zst ok; - for stdin; .parquet; WebDataset .tar shards)")->required();
  sub->add_option("-o,--output", args->output, "Output file (.jsonl, .json, .csv/.tsv, .parquet, or .tar for a WebDataset shard; - for stdout)")->required();
  sub->add_option("-m,--method", args->method, "model | raw | synthetic | concat (the last three are baselines)")->capture_default_str();
  sub->add_option("--output-field", args->output_field, "Field that receives the fused caption")->capture_default_str();
  sub->add_option("--rejects", args->rejects, "Where rejected rows go (default: OUTPUT.rejects.jsonl)");
  sub->add_option("--summary-json", args->summary_json, "Also write the run summary as JSON to this file");
  sub->add_flag("--strict", args->strict, "Exit with code 3 when any row was rejected");
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  AddInputOptions(sub, &args->in);
  AddOutputOptions(sub, &args->out);
  const char* g = "Model";
  AddBackendOptions(sub, &args->backend, g);
  sub->add_option("--template", args->template_path, "Prompt template file with {raw} and {synthetic} (default: the model's, else the paper's)")->group(g);
  sub->add_option("--max-prompt-tokens", args->max_prompt_tokens, "Prompt token budget; the raw caption's tail is cut to fit")->capture_default_str()->group(g);
  sub->add_option("--max-new-tokens", args->gen.max_new_tokens, "Most tokens generated per caption")->capture_default_str()->group(g);
  sub->add_option("--num-beams", args->gen.num_beams, "Beam search width (1: greedy or sampling)")->capture_default_str()->group(g);
  sub->add_option("--length-penalty", args->gen.length_penalty, "Beam search length penalty")->capture_default_str()->group(g);
  sub->add_option("--temperature", args->gen.temperature, "Sampling temperature (0: greedy)")->capture_default_str()->group(g);
  sub->add_option("--top-k", args->gen.top_k, "Sample from the k most likely tokens (0: off)")->capture_default_str()->group(g);
  sub->add_option("--top-p", args->gen.top_p, "Nucleus sampling threshold (1: off)")->capture_default_str()->group(g);
  sub->add_option("--seed", args->gen.seed, "Sampling seed")->capture_default_str()->group(g);
  sub->add_option("--repetition-penalty", args->gen.repetition_penalty, "Penalty on tokens already present (1: off)")->capture_default_str()->group(g);
  sub->add_option("--no-repeat-ngram-size", args->gen.no_repeat_ngram_size, "Forbid repeating n-grams of this size (0: off)")->capture_default_str()->group(g);
  sub->add_flag("!--penalize-generated-only", args->gen.penalize_prompt, "Repetition penalty and no-repeat n-grams count only generated tokens, not the prompt's")->group(g);
  sub->callback([args, run] { *run = [args] { return RunFuse(*args); }; });
}

}  // namespace capsfusion::cli
