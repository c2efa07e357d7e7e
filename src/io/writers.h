// The format-specific record writers behind RecordWriter::Open.
#pragma once

#include <memory>

#include "capsfusion/writer.h"
#include "io/output_stream.h"

namespace capsfusion::io {

std::unique_ptr<RecordWriter> NewJsonlWriter(std::unique_ptr<OutputStream> out);
std::unique_ptr<RecordWriter> NewJsonArrayWriter(std::unique_ptr<OutputStream> out);
std::unique_ptr<RecordWriter> NewCsvWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options,
                                           char delimiter);

}  // namespace capsfusion::io
