// capsfusion stats: statistics of each caption source of a dataset, printed
// as a summary, as JSON, or as a self-contained HTML report.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>

#include "capsfusion/caption_stats.h"
#include "capsfusion/reader.h"
#include "command.h"
#include "input_options.h"
#include "record_loop.h"

namespace capsfusion::cli {

namespace {

struct StatsArgs {
  std::vector<std::string> inputs;
  InputOptions in;
  StatsOptions stats;
  bool json = false;
  std::string html;
  std::string title;
  bool no_retention = false;
};

int RunStats(StatsArgs& a) {
  const std::string cmd = "stats";
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return Fail(cmd, ropt.status());
  a.stats.raw_field = a.in.raw_field;
  a.stats.synthetic_field = a.in.synthetic_field;
  a.stats.id_field = a.in.id_field;
  a.stats.retention = !a.no_retention;
  StatsCollector collector(a.stats);
  collector.ConfigureReader(&*ropt);

  const auto start = std::chrono::steady_clock::now();
  const bool progress = StderrIsTerminal();
  uint64_t rejected = 0, rows = 0;
  Status read = ForEachRecord(
      a.inputs, *ropt,
      [&](Record& rec) {
        collector.Add(rec);
        if (progress && (++rows & 0xFFFF) == 0) {
          std::fprintf(stderr, "\rcapsfusion stats: %llu rows", static_cast<unsigned long long>(rows));
        }
        return Status::OK();
      },
      [&](const Reject& rej) {
        if (rejected < 5) std::fprintf(stderr, "capsfusion stats: skipped %s: %s\n", rej.origin.c_str(), rej.reason.c_str());
        ++rejected;
        return Status::OK();
      });
  if (!read.ok()) return Fail(cmd, read);
  if (progress && rows >= 0x10000) std::fprintf(stderr, "\r\033[K");
  if (rejected > 5) std::fprintf(stderr, "capsfusion stats: %llu rows skipped in all\n", static_cast<unsigned long long>(rejected));

  StatsReport report = collector.Report();
  report.inputs = a.inputs;
  report.rejected = rejected;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!a.html.empty()) {
    std::ofstream out(a.html, std::ios::binary | std::ios::trunc);
    std::string title = a.title.empty() ? "capsfusion stats" : a.title;
    out << StatsReportHtml(report, title);
    out.close();
    if (!out) return Fail(cmd, "cannot write " + a.html);
  }
  if (a.json) {
    std::string text = StatsReportJson(report) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::string text = StatsReportText(report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (!a.html.empty()) std::printf("\nwrote %s\n", a.html.c_str());
  }
  if (std::fflush(stdout) != 0) return Fail(cmd, "cannot write the output");
  return kExitOk;
}

}  // namespace

void AddStatsCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* sub = app.add_subcommand(
      "stats", "Statistics per caption source: lengths, vocabulary, names, numbers, repetition, overlap, QC, metrics");
  sub->footer(
      "Sources: the raw, synthetic and fused fields and each --reference-field, whichever the rows have.\n"
      "Definitions: docs/stats-and-view.md.\n\n"
      "Examples:\n"
      "  capsfusion stats fused.jsonl\n"
      "  capsfusion stats train.json --fused-field capsfuion_official --html report.html\n"
      "  capsfusion stats fused.jsonl.zst --json > stats.json");
  sub->add_option("inputs", args->inputs, "Dataset files (JSON, JSONL, CSV, TSV; gzip or zstd)")->required();
  sub->add_option("--fused-field", args->stats.fused_field, "Field with the fused caption")->capture_default_str();
  sub->add_option("-r,--reference-field", args->stats.reference_fields, "Field with a reference caption (repeatable)");
  sub->add_option("--qc-field", args->stats.qc_field, "Field with QC reasons (array of strings, string or null)")
      ->capture_default_str();
  sub->add_option("--metric-field", args->stats.metric_fields,
                  "Per-row metric field (repeatable; \"obj.key\" reaches into an object). Default: every numeric field");
  sub->add_option("--top-words", args->stats.top_words, "Frequent words listed per source")->capture_default_str();
  sub->add_option("--top-trigrams", args->stats.top_trigrams, "Frequent trigrams listed per source")->capture_default_str();
  sub->add_flag("--no-retention", args->no_retention, "Skip the per-row fusion metrics (faster)");
  sub->add_option("--threads", args->stats.threads, "Threads for the per-caption statistics (0: up to 4, by the machine)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  sub->add_flag("--json", args->json, "Print the statistics as JSON");
  sub->add_option("--html", args->html, "Write a self-contained HTML report to this file");
  sub->add_option("--title", args->title, "Heading of the HTML report");
  AddInputOptions(sub, &args->in);
  sub->callback([args, run] { *run = [args] { return RunStats(*args); }; });
}

}  // namespace capsfusion::cli
