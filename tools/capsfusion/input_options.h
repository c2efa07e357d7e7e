// Input flags shared by the subcommands that read datasets.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"

namespace capsfusion::cli {

struct InputOptions {
  std::string format = "auto";
  std::string raw_field = "laion_2b";
  std::string synthetic_field = "laion_coco";
  std::string id_field;
  size_t max_field_bytes = 1 << 20;
  bool skip_unsupported_columns = false;
};

struct OutputOptions {
  std::string format = "auto";
  std::string parquet_compression = "zstd";
  int parquet_compression_level = 3;
  size_t parquet_row_group_rows = 100000;
  bool parquet_no_dictionary = false;
  std::vector<std::string> webdataset_text_fields = {"capsfusion"};
};

//! Adds --output-format and the Parquet and WebDataset output flags.
void AddOutputOptions(CLI::App* app, OutputOptions* options);

//! Writer options for these flags.
StatusOr<WriterOptions> MakeWriterOptions(const OutputOptions& options);

//! Adds --format, --raw-field, --synthetic-field, --id-field, --max-field-bytes.
void AddInputOptions(CLI::App* app, InputOptions* options);

//! Reader options for these flags (format parsed; an unknown name is an error).
StatusOr<ReaderOptions> MakeReaderOptions(const InputOptions& options);

}  // namespace capsfusion::cli
