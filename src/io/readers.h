// The format-specific record readers behind RecordReader::Open, and what they
// share: where rows come from, how rejects and origins are written.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "capsfusion/reader.h"
#include "io/json_scanner.h"
#include "io/record_builder.h"
#include "io/source_buffer.h"

namespace capsfusion::parquet {
class ParquetFile;
}

namespace capsfusion::io {

//! Bytes of the offending input kept in Reject::text.
constexpr size_t kRejectTextBytes = 1024;

//! What every reader starts from.
struct ReaderParts {
  std::string name;  //!< the path as given, or "<stdin>"
  std::unique_ptr<SourceBuffer> source;
  ReaderOptions options;
};

//! JSONL: one object per line (jsonl_reader.cc).
std::unique_ptr<RecordReader> NewJsonlReader(ReaderParts parts);
//! A top-level JSON array of objects, streamed (json_array_reader.cc).
std::unique_ptr<RecordReader> NewJsonArrayReader(ReaderParts parts);
//! CSV (',') or TSV ('\t') with a header row (csv_reader.cc).
std::unique_ptr<RecordReader> NewCsvReader(ReaderParts parts, char delimiter);

//! Parquet from a file (parquet_reader.cc): fails at once for a damaged
//! footer or a needed column that cannot be decoded.
StatusOr<std::unique_ptr<RecordReader>> NewParquetReader(const std::string& path, const ReaderOptions& options);
//! The same over a file already open (or in memory).
StatusOr<std::unique_ptr<RecordReader>> NewParquetReader(std::unique_ptr<parquet::ParquetFile> file,
                                                         const std::string& path, const ReaderOptions& options);
//! WebDataset tar shards: one record per sample key (webdataset_reader.cc).
std::unique_ptr<RecordReader> NewWebDatasetReader(ReaderParts parts);

//! Sets *origin to "name:line".
void SetOrigin(const std::string& name, uint64_t line, std::string* origin);

//! Fills *reject: origin "name:line", `reason`, `text` cut to kRejectTextBytes.
void FillReject(const std::string& name, uint64_t line, std::string reason, std::string_view text,
                Reject* reject);

//! Builds *record from `text`, which must hold exactly one JSON object (and
//! whitespace). False with a one-line *reason otherwise. `what` names the unit
//! in messages ("line", "array element").
bool RecordFromJsonText(std::string_view text, const char* what, JsonScanner* scanner,
                        RecordBuilder* builder, Record* record, std::string* reason);

//! The reason for a JsonScanner error: "invalid UTF-8 at byte N" or
//! "invalid JSON at byte N: <what>".
std::string JsonErrorReason(const JsonScanner& scanner, const char* what);

}  // namespace capsfusion::io
