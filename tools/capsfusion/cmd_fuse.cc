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
};

struct FuseSummary {
  uint64_t rows = 0, written = 0, rejected = 0;
  double seconds = 0;
};

int RunFuse(const FuseArgs& a) {
  const std::string cmd = "fuse";
  auto method = ParseFuseMethod(a.method);
  if (!method.ok()) return Fail(cmd, method.status());
  if (*method == FuseMethod::kModel) return Fail(cmd, "--method model needs a model: see `capsfusion fuse --help`");
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());

  auto wopt = MakeWriterOptions(a.out);
  if (!wopt.ok()) return Fail(cmd, wopt.status());
  auto writer = RecordWriter::Open(a.output, *wopt);
  if (!writer.ok()) return Fail(cmd, writer.status());
  std::string rejects_path = a.rejects.empty() ? (a.output == "-" ? "rejects.jsonl" : a.output + ".rejects.jsonl") : a.rejects;
  RejectWriter rejects(rejects_path);

  FuseSummary sum;
  auto start = std::chrono::steady_clock::now();
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
        ++sum.rejected;
        if (!a.quiet) std::fprintf(stderr, "capsfusion fuse: rejected %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
        Status s = rejects.Write(rej);
        if (!s.ok()) return Fail(cmd, s);
        continue;
      }
      rec.SetString(a.output_field, BaselineCaption(*method, rec.raw, rec.synthetic));
      Status s = (*writer)->Write(rec);
      if (!s.ok()) return Fail(cmd, s);
      ++sum.written;
    }
    if (!(*reader)->status().ok()) return Fail(cmd, (*reader)->status());
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
  sub->add_option("-m,--method", args->method, "raw | synthetic | concat (baselines)")->capture_default_str();
  sub->add_option("--output-field", args->output_field, "Field that receives the fused caption")->capture_default_str();
  sub->add_option("--rejects", args->rejects, "Where rejected rows go (default: OUTPUT.rejects.jsonl)");
  sub->add_option("--summary-json", args->summary_json, "Also write the run summary as JSON to this file");
  sub->add_flag("--strict", args->strict, "Exit with code 3 when any row was rejected");
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  AddInputOptions(sub, &args->in);
  AddOutputOptions(sub, &args->out);
  sub->callback([args, run] { *run = [args] { return RunFuse(*args); }; });
}

}  // namespace capsfusion::cli
