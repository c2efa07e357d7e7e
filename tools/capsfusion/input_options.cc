#include "input_options.h"

namespace capsfusion::cli {

void AddInputOptions(CLI::App* app, InputOptions* o) {
  app->add_option("--format", o->format,
                  "Input format: auto, json, jsonl, csv, tsv, parquet, webdataset (auto: by extension, then content)")
      ->capture_default_str()->group("Input");
  app->add_option("--raw-field", o->raw_field, "Field with the raw web caption (Sentence 1)")
      ->capture_default_str()->group("Input");
  app->add_option("--synthetic-field", o->synthetic_field, "Field with the synthetic caption (Sentence 2)")
      ->capture_default_str()->group("Input");
  app->add_option("--id-field", o->id_field, "Field with the row id (default: a stable hash of the row)")
      ->group("Input");
  app->add_option("--max-field-bytes", o->max_field_bytes, "Rows with a longer caption are rejected")
      ->capture_default_str()->group("Input");
  app->add_flag("--skip-unsupported-columns", o->skip_unsupported_columns,
                "Parquet: leave out columns that cannot be read (nested, INT96, ...) instead of failing")
      ->group("Input");
}

void AddOutputOptions(CLI::App* app, OutputOptions* o) {
  app->add_option("--output-format", o->format,
                  "Output format: auto (by extension), jsonl, json, csv, tsv, parquet, webdataset")
      ->capture_default_str()->group("Output");
  app->add_option("--parquet-compression", o->parquet_compression, "Parquet output: zstd, snappy, gzip, lz4_raw, none")
      ->capture_default_str()->group("Output");
  app->add_option("--parquet-compression-level", o->parquet_compression_level, "Parquet output: zstd/gzip level")
      ->capture_default_str()->group("Output");
  app->add_option("--row-group-size", o->parquet_row_group_rows, "Parquet output: rows per row group")
      ->capture_default_str()->check(CLI::PositiveNumber)->group("Output");
  app->add_flag("--no-dictionary", o->parquet_no_dictionary, "Parquet output: never dictionary-encode")
      ->group("Output");
  app->add_option("--webdataset-text-field", o->webdataset_text_fields,
                  "WebDataset (.tar) output: fields added to each sample as KEY.<field>.txt")
      ->capture_default_str()->group("Output");
}

StatusOr<WriterOptions> MakeWriterOptions(const OutputOptions& o) {
  WriterOptions w;
  auto format = ParseFormat(o.format);
  if (!format.ok()) return format.status();
  w.format = *format;
  auto compression = ParseParquetCompression(o.parquet_compression);
  if (!compression.ok()) return compression.status();
  w.parquet.compression = *compression;
  w.parquet.compression_level = o.parquet_compression_level;
  w.parquet.row_group_rows = o.parquet_row_group_rows;
  w.parquet.dictionary = !o.parquet_no_dictionary;
  w.webdataset_text_fields = o.webdataset_text_fields;
  return w;
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
  r.skip_unsupported_columns = o.skip_unsupported_columns;
  return r;
}

}  // namespace capsfusion::cli
