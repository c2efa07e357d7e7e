// capsfusion qc: quality checks of fused captions (docs/qc.md), counts per
// reason, and a preview of what a QC policy would do.
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/qc.h"
#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "command.h"
#include "input_options.h"
#include "record_loop.h"
#include "io/json_scanner.h"
#include "qc_options.h"

namespace capsfusion::cli {
namespace {

using nlohmann::ordered_json;

struct QcArgs {
  std::vector<std::string> inputs;
  std::string output;
  std::string rejects;
  std::string fused_field = "capsfusion";
  std::string qc_field = "qc_reasons";
  std::string policy;
  bool json = false;
  bool strict = false;
  size_t examples = 0;
  InputOptions in;
  OutputOptions out;
  QcFlags qc;
};

struct Counts {
  uint64_t rows = 0;       // rows read (rejects included)
  uint64_t rejected = 0;   // rows the reader could not read
  uint64_t unchecked = 0;  // rows without a string fused field
  uint64_t checked = 0;
  uint64_t passed = 0;
  std::array<uint64_t, kQcReasonCount> reasons{};
  std::array<uint64_t, 5> actions{};  // flagged rows per QcAction (with --policy)
};

struct Example {
  std::string origin;
  uint64_t index;
  std::string raw, synthetic, fused;
};

void PrintExample(FILE* rep, QcReason reason, const Example& e, const QcOptions& options) {
  std::string detail;
  for (const QcFinding& f : ExplainFusion(e.raw, e.synthetic, e.fused, options)) {
    if (f.reason == reason) detail = f.detail;
  }
  std::fprintf(rep, "\n[%s] row %llu (%s): %s\n  raw:       %s\n  synthetic: %s\n  fused:     %s\n",
               QcReasonName(reason), static_cast<unsigned long long>(e.index), e.origin.c_str(), detail.c_str(),
               e.raw.c_str(), e.synthetic.c_str(), e.fused.c_str());
}

double Share(uint64_t n, uint64_t d) { return d ? static_cast<double>(n) / static_cast<double>(d) : 0.0; }

int RunQc(const QcArgs& a) {
  const std::string cmd = "qc";
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  auto options = MakeQcOptions(a.qc);
  if (!options.ok()) return Fail(cmd, options.status());
  const bool preview = !a.policy.empty();
  QcPolicy policy = QcPolicy::Default();
  if (preview && a.policy != "default") {
    auto p = QcPolicy::Parse(a.policy, QcPolicy::Default());
    if (!p.ok()) return Fail(cmd, p.status());
    policy = *p;
  }
  if (a.output.empty()) ropt->columns = ColumnSelection::kFieldMap, ropt->extra_columns = {a.fused_field};

  std::unique_ptr<RecordWriter> writer;
  const std::string rejects_path =
      a.rejects.empty() ? (a.output.empty() || a.output == "-" ? "" : a.output + ".rejects.jsonl") : a.rejects;
  RejectWriter rejects(rejects_path);
  if (!a.output.empty()) {
    auto wopt = MakeWriterOptions(a.out);
    if (!wopt.ok()) return Fail(cmd, wopt.status());
    auto w = RecordWriter::Open(a.output, *wopt);
    if (!w.ok()) return Fail(cmd, w.status());
    writer = std::move(*w);
  }

  Counts c;
  std::array<std::vector<Example>, kQcReasonCount> examples;
  const bool progress = StderrIsTerminal();
  const auto start = std::chrono::steady_clock::now();
  std::string fused;
  auto count_row = [&] {
    ++c.rows;
    if (progress && (c.rows & 0xFFFF) == 0) {
      std::fprintf(stderr, "\rcapsfusion qc: %llu rows", static_cast<unsigned long long>(c.rows));
    }
  };
  Status read = ForEachRecord(
      a.inputs, *ropt,
      [&](Record& rec) {
        count_row();
        const Field* f = rec.Find(a.fused_field);
        fused.clear();
        if (f == nullptr || !io::DecodeJsonStringLiteral(f->json, &fused)) {
          if (c.unchecked < 5) {
            std::fprintf(stderr, "capsfusion qc: not checked %s: field %s is %s\n", rec.origin.c_str(),
                         a.fused_field.c_str(), f == nullptr ? "missing" : "not a string");
          }
          ++c.unchecked;
        } else {
          ++c.checked;
          const QcResult result = CheckFusion(rec.raw, rec.synthetic, fused, *options);
          if (result.passed()) ++c.passed;
          for (QcReason why : result.reasons) {
            ++c.reasons[static_cast<size_t>(why)];
            auto& list = examples[static_cast<size_t>(why)];
            if (list.size() < a.examples) list.push_back(Example{rec.origin, rec.index, rec.raw, rec.synthetic, fused});
          }
          if (preview && !result.passed()) ++c.actions[static_cast<size_t>(policy.Decide(result))];
          if (writer) rec.Set(a.qc_field, result.ToJson());
        }
        return writer ? writer->Write(rec) : Status::OK();
      },
      [&](const Reject& rej) {
        count_row();
        if (c.rejected < 5) std::fprintf(stderr, "capsfusion qc: skipped %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
        ++c.rejected;
        return rejects_path.empty() ? Status::OK() : rejects.Write(rej);
      });
  if (!read.ok()) return Fail(cmd, read);
  if (progress && c.rows >= 0x10000) std::fprintf(stderr, "\r\033[K");
  if (c.rejected > 5) std::fprintf(stderr, "capsfusion qc: %llu rows skipped in all\n", (unsigned long long)c.rejected);
  if (c.unchecked > 5) std::fprintf(stderr, "capsfusion qc: %llu rows not checked in all\n", (unsigned long long)c.unchecked);
  if (writer) {
    Status s = writer->Close();
    if (!s.ok()) return Fail(cmd, s);
  }
  {
    Status s = rejects.Close();
    if (!s.ok()) return Fail(cmd, s);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  // With the rows on stdout (-o -), the report goes to stderr.
  FILE* rep = a.output == "-" ? stderr : stdout;
  if (a.json) {
    ordered_json j;
    j["inputs"] = a.inputs;
    j["fused_field"] = a.fused_field;
    j["rows"] = c.rows;
    j["checked"] = c.checked;
    j["passed"] = c.passed;
    j["flagged"] = c.checked - c.passed;
    j["unchecked"] = c.unchecked;
    j["rejected"] = c.rejected;
    ordered_json reasons = ordered_json::object(), rates = ordered_json::object();
    for (size_t i = 0; i < kQcReasonCount; ++i) {
      const char* name = QcReasonName(static_cast<QcReason>(i));
      reasons[name] = c.reasons[i];
      rates[name] = Share(c.reasons[i], c.checked);
    }
    j["reasons"] = reasons;
    j["rates"] = rates;
    j["options"] = ordered_json::parse(options->ToJson());
    if (preview) {
      j["policy"] = policy.ToString();
      ordered_json actions = ordered_json::object();
      for (size_t i = 0; i < c.actions.size(); ++i) actions[QcActionName(static_cast<QcAction>(i))] = c.actions[i];
      j["actions"] = actions;
    }
    if (!a.output.empty()) j["output"] = a.output;
    if (c.rejected && !rejects_path.empty()) j["rejects_file"] = rejects_path;
    j["seconds"] = seconds;
    std::fprintf(rep, "%s\n", j.dump(2).c_str());
  } else {
    std::fprintf(rep, "%-16s %9s %8s%s\n", "reason", "rows", "share", preview ? "  action" : "");
    for (size_t i = 0; i < kQcReasonCount; ++i) {
      const QcReason r = static_cast<QcReason>(i);
      std::fprintf(rep, "%-16s %9llu %7.2f%%", QcReasonName(r), (unsigned long long)c.reasons[i],
                  100 * Share(c.reasons[i], c.checked));
      if (!options->enabled[i]) std::fprintf(rep, "  (off)");
      if (preview && options->enabled[i]) std::fprintf(rep, "  %s", QcActionName(policy.action[i]));
      std::fprintf(rep, "\n");
    }
    std::fprintf(rep, "%-16s %9llu %7.2f%%\n", "flagged", (unsigned long long)(c.checked - c.passed),
                100 * Share(c.checked - c.passed, c.checked));
    std::fprintf(rep, "%-16s %9llu %7.2f%%\n", "passed", (unsigned long long)c.passed, 100 * Share(c.passed, c.checked));
    if (preview) {
      std::fprintf(rep, "\npolicy %s\n%-16s %9s %8s\n", policy.ToString().c_str(), "action", "rows", "share");
      for (size_t i = 0; i < c.actions.size(); ++i) {
        std::fprintf(rep, "%-16s %9llu %7.2f%%\n", QcActionName(static_cast<QcAction>(i)),
                    (unsigned long long)c.actions[i], 100 * Share(c.actions[i], c.checked));
      }
    }
    std::fprintf(rep, "\n%llu rows checked (field %s)", (unsigned long long)c.checked, a.fused_field.c_str());
    if (c.unchecked) std::fprintf(rep, ", %llu without it", (unsigned long long)c.unchecked);
    if (c.rejected) std::fprintf(rep, ", %llu unreadable", (unsigned long long)c.rejected);
    std::fprintf(rep, " in %.2f s\n", seconds);
    if (!a.output.empty()) std::fprintf(rep, "wrote %s\n", a.output.c_str());
    for (size_t i = 0; i < kQcReasonCount; ++i) {
      for (const Example& e : examples[i]) PrintExample(rep, static_cast<QcReason>(i), e, *options);
    }
  }
  if (std::fflush(stdout) != 0) return Fail(cmd, "cannot write the output");
  if (a.strict && (c.rejected > 0 || c.unchecked > 0)) {
    std::fprintf(stderr, "capsfusion qc: error: %llu rows unreadable, %llu not checked (--strict)\n",
                 (unsigned long long)c.rejected, (unsigned long long)c.unchecked);
    return kExitPartial;
  }
  return kExitOk;
}

}  // namespace

void AddQcCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<QcArgs>();
  CLI::App* sub = app.add_subcommand("qc", "Check fused captions: empty, prompt leak, concatenation, dropped names "
                                           "and numbers, hallucinated names, length, repetition, language");
  sub->footer(
      "Prints the rows failing each check. With -o, writes every row with the failed checks' names\n"
      "in the field qc_reasons ([] when all pass). --policy previews what `capsfusion fuse` would do:\n"
      "\"reason=action,...\" (actions keep, retry, synthetic, raw, drop) on top of the default\n"
      "(retry empty, prompt_leak, repetition, concatenation; keep the rest), or \"default\".\n"
      "Definitions and default thresholds: docs/qc.md.\n\n"
      "Examples:\n"
      "  capsfusion qc fused.jsonl\n"
      "  capsfusion qc train.json --fused-field capsfuion_official --json\n"
      "  capsfusion qc fused.parquet -o checked.parquet --policy prompt_leak=synthetic,language=drop\n"
      "  capsfusion qc fused.jsonl --examples 5 --qc-disable hallucination");
  sub->add_option("inputs", args->inputs, "Dataset files (JSON, JSONL, CSV, TSV; .gz/.zst ok; - for stdin; .parquet; .tar)")
      ->required();
  sub->add_option("--fused-field", args->fused_field, "Field with the fused caption")->capture_default_str();
  sub->add_option("-o,--output", args->output,
                  "Write the rows with the QC field added (any output format by extension; - for stdout, then the report goes to stderr)");
  sub->add_option("--qc-field", args->qc_field, "Field that receives the failed checks")->capture_default_str();
  sub->add_option("--rejects", args->rejects, "Where unreadable rows go (default with -o: OUTPUT.rejects.jsonl)");
  sub->add_option("--policy", args->policy, "Preview the actions of a QC policy (\"reason=action,...\" or \"default\")");
  sub->add_option("--examples", args->examples, "Print up to N failing rows per reason")->capture_default_str();
  sub->add_flag("--json", args->json, "Print the counts as JSON");
  sub->add_flag("--strict", args->strict, "Exit with code 3 when a row was unreadable or had no fused caption");
  AddInputOptions(sub, &args->in);
  AddOutputOptions(sub, &args->out);
  AddQcFlags(sub, &args->qc);
  sub->callback([args, run] { *run = [args] { return RunQc(*args); }; });
}

}  // namespace capsfusion::cli
