// capsfusion merge: join the shard outputs of a sharded `capsfusion fuse` run.
#include <cstdio>
#include <memory>

#include "command.h"
#include "fuse/shard_merge.h"
#include "input_options.h"

namespace capsfusion::cli {

namespace {

struct MergeArgs {
  std::string output;
  std::string merged;
  std::string rejects;
  bool quiet = false;
  OutputOptions out;
};

int RunMerge(const MergeArgs& a) {
  auto wopt = MakeWriterOptions(a.out);
  if (!wopt.ok()) return Fail("merge", wopt.status());
  MergeOptions mo;
  mo.output = a.output;
  mo.merged = a.merged;
  mo.rejects = a.rejects;
  mo.writer = *wopt;
  auto r = MergeShards(mo);
  if (!r.ok()) return Fail("merge", r.status());
  if (!a.quiet) {
    std::fprintf(stderr, "capsfusion merge: %u shards, %llu rows, %llu written to %s, %llu rejected\n", r->shards,
                 static_cast<unsigned long long>(r->rows), static_cast<unsigned long long>(r->written),
                 (a.merged.empty() ? a.output : a.merged).c_str(), static_cast<unsigned long long>(r->rejected));
  }
  return kExitOk;
}

}  // namespace

void AddMergeCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<MergeArgs>();
  CLI::App* sub = app.add_subcommand("merge", "Join the shard outputs of a sharded `capsfusion fuse` run, in input order");
  sub->footer(
      "OUT is the -o of the fuse runs. Every shard OUT-with-.shard-IIIII-of-NNNNN must be complete\n"
      "(its summary written) and made with the same settings; otherwise nothing is written and the\n"
      "missing or incomplete shards are listed. Writes MERGED (default OUT), MERGED.rejects.jsonl and\n"
      "MERGED.summary.json.\n\n"
      "Examples:\n"
      "  capsfusion merge fused.jsonl\n"
      "  capsfusion merge fused.parquet -o all.parquet");
  sub->add_option("output", args->output, "The output name the shards were run with")->required();
  sub->add_option("-o,--output", args->merged, "Merged file (default: OUT itself)");
  sub->add_option("--rejects", args->rejects, "Merged rejects (default: MERGED.rejects.jsonl)");
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  AddOutputOptions(sub, &args->out);
  sub->callback([args, run] { *run = [args] { return RunMerge(*args); }; });
}

}  // namespace capsfusion::cli
