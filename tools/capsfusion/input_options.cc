#include "input_options.h"

namespace capsfusion::cli {

void AddInputOptions(CLI::App* app, InputOptions* o) {
  app->add_option("--format", o->format, "Input format: auto, json, jsonl, csv, tsv (auto: by extension, then content)")
      ->capture_default_str()->group("Input");
  app->add_option("--raw-field", o->raw_field, "Field with the raw web caption (Sentence 1)")
      ->capture_default_str()->group("Input");
  app->add_option("--synthetic-field", o->synthetic_field, "Field with the synthetic caption (Sentence 2)")
      ->capture_default_str()->group("Input");
  app->add_option("--id-field", o->id_field, "Field with the row id (default: a stable hash of the row)")
      ->group("Input");
  app->add_option("--max-field-bytes", o->max_field_bytes, "Rows with a longer caption are rejected")
      ->capture_default_str()->group("Input");
}

StatusOr<ReaderOptions> MakeReaderOptions(const InputOptions& o) {
  ReaderOptions r;
  auto format = ParseFormat(o.format);
  if (!format.ok()) return format.status();
  r.format = *format;
  r.fields.raw = o.raw_field;
  r.fields.synthetic = o.synthetic_field;
  r.fields.id = o.id_field;
  r.max_field_bytes = o.max_field_bytes;
  return r;
}

}  // namespace capsfusion::cli
