// The format-specific record writers behind RecordWriter::Open.
#pragma once

#include <memory>

#include "capsfusion/writer.h"
#include "io/output_stream.h"

namespace capsfusion::io {

//! One JSON object per line (jsonl_writer.cc).
std::unique_ptr<RecordWriter> NewJsonlWriter(std::unique_ptr<OutputStream> out);
//! The same objects inside one JSON array (jsonl_writer.cc).
std::unique_ptr<RecordWriter> NewJsonArrayWriter(std::unique_ptr<OutputStream> out);
//! CSV (',') or TSV ('\t') with a header row (csv_writer.cc).
std::unique_ptr<RecordWriter> NewCsvWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options,
                                           char delimiter);

//! Parquet, one row group buffered at a time (parquet_writer.cc).
std::unique_ptr<RecordWriter> NewParquetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options);
//! WebDataset tar shards (webdataset_writer.cc).
std::unique_ptr<RecordWriter> NewWebDatasetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options);

}  // namespace capsfusion::io
