// capsfusion set-decoding: show or store the decoding settings a model file was
// tuned for (the capsfusion.decoding.* keys that `fuse` follows).
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "engine/model_loader.h"
#include "engine/tuned_decoding.h"
#include "gguf/gguf.h"

namespace capsfusion::cli {

namespace {

struct SetDecodingArgs {
  std::string model;
  std::string output;  // empty: in place
  engine::TunedDecoding tuned;
  bool quiet = false;
};

//! "key value" lines of the file's tuned decoding ("none" when it has none).
std::string Describe(const gguf::GgufFile& f) {
  std::string out;
  for (const char* key : {engine::kRecommendedBeamsKey, engine::kRecommendedLengthPenaltyKey,
                          engine::kRecommendedSpanBonusKey, engine::kRecommendedSpanMinMatchKey}) {
    if (const gguf::Value* v = f.Find(key)) out += std::string(key) + " " + v->DebugString() + "\n";
  }
  return out.empty() ? "no tuned decoding settings\n" : out;
}

int RunSetDecoding(const SetDecodingArgs& a) {
  const engine::TunedDecoding& t = a.tuned;
  const bool any = t.num_beams || t.length_penalty || t.span_bonus || t.span_min_match;
  if (!any) {
    auto f = gguf::GgufFile::Open(a.model);
    if (!f.ok()) return Fail("set-decoding", f.status());
    std::fputs(Describe(**f).c_str(), stdout);
    return kExitOk;
  }
  const std::string out = a.output.empty() ? a.model : a.output;
  Status s = engine::WriteWithTunedDecoding(a.model, out, t);
  if (!s.ok()) return Fail("set-decoding", s);
  if (!a.quiet) {
    auto f = gguf::GgufFile::Open(out);
    if (!f.ok()) return Fail("set-decoding", f.status());
    std::fprintf(stderr, "capsfusion set-decoding: wrote %s\n%s", out.c_str(), Describe(**f).c_str());
  }
  return kExitOk;
}

}  // namespace

void AddSetDecodingCommand(CLI::App& app, Runner* run) {
  auto args = std::make_shared<SetDecodingArgs>();
  CLI::App* sub = app.add_subcommand("set-decoding", "Show or store the decoding settings a model file was tuned for");
  sub->footer(
      "`fuse` decodes with the settings a model file stores (metadata capsfusion.decoding.*) unless its\n"
      "own flags say otherwise. Without settings, prints the file's. With settings, writes the file with\n"
      "them stored and every other key and tensor unchanged (in place unless -o is given; the write is\n"
      "atomic). Tune them on your dev data with `fuse` and `eval` first (docs/engine.md).\n\n"
      "Examples:\n"
      "  capsfusion set-decoding models/capsfusion-default.gguf\n"
      "  capsfusion set-decoding mine.gguf -o tuned.gguf --num-beams 5 --length-penalty 2.3 --span-bonus 2");
  sub->add_option("model", args->model, "GGUF model file")->required();
  sub->add_option("-o,--output", args->output, "Write here instead of replacing MODEL");
  sub->add_option("--num-beams", args->tuned.num_beams, "Beam width")->check(CLI::Range(1, 64));
  sub->add_option("--length-penalty", args->tuned.length_penalty, "Beam search length penalty")
      ->check(CLI::Range(-100.0, 100.0));
  sub->add_option("--span-bonus", args->tuned.span_bonus, "Span continuation bonus (0: off)")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--span-min-match", args->tuned.span_min_match, "Shortest copied span that earns it")
      ->check(CLI::Range(1, 32));
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  sub->callback([args, run] { *run = [args] { return RunSetDecoding(*args); }; });
}

}  // namespace capsfusion::cli
