// Input flags shared by the subcommands that read datasets.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "capsfusion/reader.h"

namespace capsfusion::cli {

struct InputOptions {
  std::string format = "auto";
  std::string raw_field = "laion_2b";
  std::string synthetic_field = "laion_coco";
  std::string id_field;
  size_t max_field_bytes = 1 << 20;
};

//! Adds --format, --raw-field, --synthetic-field, --id-field, --max-field-bytes.
void AddInputOptions(CLI::App* app, InputOptions* options);

//! Reader options for these flags (format parsed; an unknown name is an error).
StatusOr<ReaderOptions> MakeReaderOptions(const InputOptions& options);

}  // namespace capsfusion::cli
