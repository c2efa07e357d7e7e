// Fuzz target for the Parquet reader: opens arbitrary bytes as a Parquet file
// and reads every row through the RecordReader, with all columns and with the
// FieldMap projection. Any input must end in records, rejects or an error
// Status: never a crash, a hang or a giant allocation.
//
// Built with libFuzzer (clang, -DCAPSFUSION_FUZZ=ON) or with
// fuzz/standalone_main.cc, which replays files given on the command line.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/readers.h"
#include "parquet/file_reader.h"

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "parquet_reader_fuzz: %s\n", what);
  std::abort();
}

void ReadAll(const std::string& bytes, capsfusion::ColumnSelection columns) {
  using namespace capsfusion;
  auto file = parquet::ParquetFile::FromBytes(bytes, "fuzz.parquet");
  if (!file.ok()) {
    if (file.status().message().empty()) Fail("open error without a message");
    return;
  }
  ReaderOptions options;
  options.require_raw = false;
  options.require_synthetic = false;
  options.columns = columns;
  options.skip_unsupported_columns = true;
  auto reader = io::NewParquetReader(std::move(*file), "fuzz.parquet", options);
  if (!reader.ok()) return;
  Record record;
  Reject reject;
  // A few bytes can claim billions of null rows: stop after a bounded number.
  for (int i = 0; i < 100000; ++i) {
    auto r = (*reader)->Next(&record, &reject);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kReject && reject.reason.empty()) Fail("reject without a reason");
  }
  if (!(*reader)->status().ok() && (*reader)->status().message().empty()) Fail("error without a message");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  ReadAll(bytes, capsfusion::ColumnSelection::kAll);
  ReadAll(bytes, capsfusion::ColumnSelection::kFieldMap);
  return 0;
}
