#include "qc_options.h"

namespace capsfusion::cli {

void AddQcFlags(CLI::App* app, QcFlags* f, const std::string& group) {
  QcOptions& o = f->options;
  app->add_option("--qc-disable", f->disable,
                  "Leave out a check (repeatable): empty, prompt_leak, concatenation, dropped_name, dropped_number, "
                  "hallucination, length_ratio, repetition, language, or all")
      ->group(group);
  app->add_option("--qc-min-length-ratio", o.min_length_ratio,
                  "length_ratio: fused words below this share of the longer source's words fail")
      ->capture_default_str()->check(CLI::NonNegativeNumber)->group(group);
  app->add_option("--qc-max-length-ratio", o.max_length_ratio,
                  "length_ratio: fused words above this multiple of both sources' words fail")
      ->capture_default_str()->check(CLI::PositiveNumber)->group(group);
  app->add_option("--qc-repeat-ngram", o.repeat_ngram, "repetition: n of the repeated n-grams")
      ->capture_default_str()->check(CLI::Range(1, 16))->group(group);
  app->add_option("--qc-max-ngram-repeats", o.max_ngram_repeats,
                  "repetition: extra occurrences an n-gram may have")
      ->capture_default_str()->check(CLI::Range(0, 1000))->group(group);
  app->add_option("--qc-max-dropped-names", o.max_dropped_names, "dropped_name: raw names that may be missing")
      ->capture_default_str()->group(group);
  app->add_option("--qc-max-dropped-numbers", o.max_dropped_numbers, "dropped_number: raw numbers that may be missing")
      ->capture_default_str()->group(group);
  app->add_option("--qc-max-hallucinated-names", o.max_hallucinated_names,
                  "hallucination: names in neither source that may occur")
      ->capture_default_str()->group(group);
  app->add_option("--qc-foreign-script-share", o.foreign_script_share,
                  "language: share of the fused letters that makes a script count")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0))->group(group);
  app->add_option("--qc-source-script-share", o.source_script_share,
                  "language: share of a source's letters that makes a script its own")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0))->group(group);
  app->add_option("--qc-min-function-words", o.min_function_words,
                  "language: function words that make a Latin-script language sure")
      ->capture_default_str()->check(CLI::Range(1, 1000))->group(group);
}

StatusOr<QcOptions> MakeQcOptions(const QcFlags& f) {
  QcOptions o = f.options;
  for (const std::string& name : f.disable) {
    if (name == "all") {
      o.enabled.fill(false);
      continue;
    }
    auto r = ParseQcReason(name);
    if (!r.ok()) return Status::InvalidArgument("--qc-disable: " + r.status().message());
    o.enabled[static_cast<size_t>(*r)] = false;
  }
  return o;
}

}  // namespace capsfusion::cli
