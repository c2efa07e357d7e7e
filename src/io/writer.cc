// RecordWriter::Open: picks the output format (option, then file name,
// default JSONL) and the compression (.gz, .zst).
#include "io/writers.h"

namespace capsfusion {

StatusOr<std::unique_ptr<RecordWriter>> RecordWriter::Open(const std::string& path,
                                                           const WriterOptions& options) {
  Format format = options.format;
  if (format == Format::kAuto && path != "-") format = FormatFromPath(path);
  if (format == Format::kAuto) format = Format::kJsonl;
  auto out = io::OutputStream::Open(path);
  if (!out.ok()) return out.status();
  switch (format) {
    case Format::kJson: return io::NewJsonArrayWriter(std::move(*out));
    case Format::kCsv: return io::NewCsvWriter(std::move(*out), options, ',');
    case Format::kTsv: return io::NewCsvWriter(std::move(*out), options, '\t');
    case Format::kJsonl:
    case Format::kAuto: break;
  }
  return io::NewJsonlWriter(std::move(*out));
}

}  // namespace capsfusion
