// capsfusion export: write a training run's model as a GGUF file.
#include <cstdio>
#include <memory>

#include "train/train.h"
#include "train_commands.h"

namespace capsfusion::cli {

void AddExportCommand(CLI::App& app, Runner* run) {
  auto e = std::make_shared<train::ExportOptions>();
  CLI::App* sub = app.add_subcommand("export", "Write a training run's model as a GGUF file");
  sub->footer(
      "A model with a copy head is written as architecture capsfusion-copy (docs/model.md), one\n"
      "without as plain llama, which llama.cpp loads too.\n"
      "Examples:\n"
      "  capsfusion export runs/small -o models/small.gguf\n"
      "  capsfusion export runs/small -o models/small-q8.gguf --type q8_0 --average 5");
  sub->add_option("run_dir", e->run_dir, "Run directory written by `capsfusion train`")->required();
  sub->add_option("-o,--output", e->output, "GGUF file to write")->required();
  sub->add_option("--checkpoint", e->checkpoint, "best, last, or a checkpoint file")->capture_default_str();
  sub->add_option("--average", e->average_last, "Average the weights of the newest N step checkpoints");
  sub->add_option("--copy-gate-shift", e->copy_gate_shift,
                  "Add this to the copy head's gate bias (negative: copy from the sources more often)");
  sub->add_option("--type", e->type, "Matrix weight type: f32 or q8_0")->capture_default_str();
  sub->add_option("--num-beams", e->num_beams,
                  "Store the beam width fuse should use with this model (capsfusion.decoding.num_beams)");
  sub->add_option("--length-penalty", e->length_penalty,
                  "Store the length penalty fuse should use with this model (capsfusion.decoding.length_penalty)");
  sub->add_option("--span-bonus", e->span_bonus,
                  "Store the span continuation fuse should use with this model (capsfusion.decoding.span_bonus)");
  sub->add_option("--span-min-match", e->span_min_match,
                  "Store the shortest span that earns it (capsfusion.decoding.span_min_match)");
  sub->add_option("--name", e->name, "general.name (default: the run directory's name)");
  sub->callback([e, run] {
    *run = [e] {
      train::ExportReport r;
      Status s = train::Export(*e, &r);
      if (!s.ok()) return Fail("export", s);
      std::fprintf(stderr, "capsfusion export: wrote %s (%s, %.2fM parameters, %llu bytes%s)\n", e->output.c_str(),
                   r.architecture.c_str(), r.n_params / 1e6, static_cast<unsigned long long>(r.file_bytes),
                   r.averaged.empty() ? "" : (", average of " + std::to_string(r.averaged.size())).c_str());
      return static_cast<int>(kExitOk);
    };
  });
}

}  // namespace capsfusion::cli
