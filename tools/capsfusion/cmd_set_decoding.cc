// capsfusion set-decoding: show or store the decoding settings a model file was
// tuned for (the capsfusion.decoding.* keys that `fuse` follows).
#include <cstdio>
#include <memory>
#include <string>

#include "command.h"
#include "engine/model_loader.h"
#include "engine/tuned_decoding.h"
#include "fuse/length_choice.h"
#include "gguf/gguf.h"
#include "input_options.h"
#include "record_loop.h"

namespace capsfusion::cli {

namespace {

struct SetDecodingArgs {
  std::string model;
  std::string output;  // empty: in place
  engine::TunedDecoding tuned;
  std::vector<float> expected_length;          // --expected-length A,B,C
  std::vector<std::string> fit_inputs;         // --fit-expected-length FILE...
  std::string target_field = "capsfuion_official";
  InputOptions in;
  bool quiet = false;
};

//! The expected length fitted on the fused captions of `a.fit_inputs`.
StatusOr<ExpectedLength> FitFromData(const SetDecodingArgs& a, size_t* rows) {
  auto ropt = MakeReaderOptions(a.in);
  if (!ropt.ok()) return ropt.status();
  ropt->columns = ColumnSelection::kFieldMap;
  ropt->fields.references = {a.target_field};  // read as the trainer reads its targets
  std::vector<LengthExample> examples;
  size_t skipped = 0;
  Status read = ForEachRecord(
      a.fit_inputs, *ropt,
      [&](Record& rec) {
        if (rec.references.empty() || rec.references[0].empty()) {
          ++skipped;
          return Status::OK();
        }
        examples.push_back({CountWords(rec.raw), CountWords(rec.synthetic), CountWords(rec.references[0])});
        return Status::OK();
      },
      [&](const Reject&) {
        ++skipped;
        return Status::OK();
      });
  if (!read.ok()) return read;
  if (skipped > 0 && !a.quiet) {
    std::fprintf(stderr, "capsfusion set-decoding: %zu rows without a readable '%s' left out of the fit\n", skipped,
                 a.target_field.c_str());
  }
  *rows = examples.size();
  return FitExpectedLength(examples);
}

//! "key value" lines of the file's tuned decoding ("none" when it has none).
std::string Describe(const gguf::GgufFile& f) {
  std::string out;
  for (const char* key : {engine::kRecommendedBeamsKey, engine::kRecommendedLengthPenaltyKey,
                          engine::kRecommendedSpanBonusKey, engine::kRecommendedSpanMinMatchKey,
                          engine::kRecommendedExpectedLengthKey, engine::kRecommendedMinLengthRatioKey,
                          engine::kRecommendedBeamChoiceKey, engine::kRecommendedConsensusSourceWeightKey}) {
    if (const gguf::Value* v = f.Find(key)) out += std::string(key) + " " + v->DebugString() + "\n";
  }
  return out.empty() ? "no tuned decoding settings\n" : out;
}

int RunSetDecoding(const SetDecodingArgs& a) {
  engine::TunedDecoding t = a.tuned;
  if (!a.expected_length.empty()) {
    if (a.expected_length.size() != 3) {
      std::fprintf(stderr, "capsfusion set-decoding: --expected-length takes three numbers: A,B,C\n");
      return kExitUsage;
    }
    t.expected_length = std::array<float, 3>{a.expected_length[0], a.expected_length[1], a.expected_length[2]};
  }
  if (!a.fit_inputs.empty()) {
    size_t rows = 0;
    auto fit = FitFromData(a, &rows);
    if (!fit.ok()) return Fail("set-decoding", fit.status());
    t.expected_length = std::array<float, 3>{static_cast<float>(fit->intercept), static_cast<float>(fit->per_raw_word),
                                             static_cast<float>(fit->per_synthetic_word)};
    if (!a.quiet) {
      std::fprintf(stderr, "capsfusion set-decoding: fitted on %zu rows: words = %.3f + %.3f x raw + %.3f x synthetic\n",
                   rows, fit->intercept, fit->per_raw_word, fit->per_synthetic_word);
    }
  }
  if (!t.any()) {
    auto f = gguf::GgufFile::Open(a.model);
    if (!f.ok()) return Fail("set-decoding", f.status());
    std::fputs(Describe(**f).c_str(), stdout);
    return kExitOk;
  }
  const std::string out = a.output.empty() ? a.model : a.output;
  if (t.min_length_ratio.value_or(0.0f) > 0 && !t.expected_length) {  // the file must have one already
    auto model = gguf::GgufFile::Open(a.model);
    if (!model.ok()) return Fail("set-decoding", model.status());
    if (!(*model)->Has(engine::kRecommendedExpectedLengthKey)) {
      std::fprintf(stderr,
                   "capsfusion set-decoding: --min-length-ratio needs the expected length: give --expected-length or "
                   "--fit-expected-length\n");
      return kExitUsage;
    }
  }
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
      "  capsfusion set-decoding mine.gguf -o tuned.gguf --num-beams 5 --length-penalty 2.3 --span-bonus 2\n"
      "  capsfusion set-decoding mine.gguf --fit-expected-length train.jsonl --target-field fused --min-length-ratio 0.7");
  sub->add_option("model", args->model, "GGUF model file")->required();
  sub->add_option("-o,--output", args->output, "Write here instead of replacing MODEL");
  sub->add_option("--num-beams", args->tuned.num_beams, "Beam width")->check(CLI::Range(1, 64));
  sub->add_option("--length-penalty", args->tuned.length_penalty, "Beam search length penalty")
      ->check(CLI::Range(-100.0, 100.0));
  sub->add_option("--span-bonus", args->tuned.span_bonus, "Span continuation bonus (0: off)")
      ->check(CLI::Range(0.0, 100.0));
  sub->add_option("--span-min-match", args->tuned.span_min_match, "Shortest copied span that earns it")
      ->check(CLI::Range(1, 32));
  sub->add_option("--expected-length", args->expected_length,
                  "Expected fused words A,B,C: A + B x raw words + C x synthetic words")
      ->delimiter(',')
      ->expected(3);
  sub->add_option("--fit-expected-length", args->fit_inputs,
                  "Fit --expected-length by least squares on these datasets' fused captions (--target-field)");
  sub->add_option("--target-field", args->target_field, "Field with the fused caption, for the fit")
      ->capture_default_str();
  sub->add_option("--min-length-ratio", args->tuned.min_length_ratio,
                  "fuse takes the best beam with at least this share of the expected words (0: off)")
      ->check(CLI::Range(0.0, 10.0));
  sub->add_option("--beam-choice", args->tuned.beam_choice,
                  "fuse's order of the finished beams: model (its probability) or consensus (agreement with the "
                  "other beams and the sources; fuse --beam-choice)")
      ->check(CLI::IsMember({"model", "consensus"}));
  sub->add_option("--consensus-source-weight", args->tuned.consensus_source_weight,
                  "Weight of the closeness to the sources in the consensus choice")
      ->check(CLI::Range(0.0, 100.0));
  AddInputOptions(sub, &args->in);
  sub->add_flag("-q,--quiet", args->quiet, "Print nothing but errors");
  sub->callback([args, run] { *run = [args] { return RunSetDecoding(*args); }; });
}

}  // namespace capsfusion::cli
