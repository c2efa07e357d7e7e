// RecordWriter::Open: picks the output format (option, then file name,
// default JSONL) and the compression (.gz, .zst).
#include <cctype>

#include "io/writers.h"

namespace capsfusion {

StatusOr<std::unique_ptr<RecordWriter>> RecordWriter::Open(const std::string& path,
                                                           const WriterOptions& options) {
  Format format = options.format;
  if (format == Format::kAuto && path != "-") format = FormatFromPath(path);
  if (format == Format::kAuto) format = Format::kJsonl;
  if (format == Format::kParquet || format == Format::kWebDataset) {
    std::string lower = path;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const char* ext : {".gz", ".gzip", ".zst", ".zstd"}) {
      const size_t n = std::string(ext).size();
      if (format == Format::kParquet && lower.size() >= n && lower.compare(lower.size() - n, n, ext) == 0) {
        return Status::InvalidArgument(path + ": Parquet compresses its pages itself; drop " + ext +
                                       " from the name (see --parquet-compression)");
      }
    }
  }
  auto out = io::OutputStream::Open(path);
  if (!out.ok()) return out.status();
  switch (format) {
    case Format::kJson: return io::NewJsonArrayWriter(std::move(*out));
    case Format::kCsv: return io::NewCsvWriter(std::move(*out), options, ',');
    case Format::kTsv: return io::NewCsvWriter(std::move(*out), options, '\t');
    case Format::kParquet: return io::NewParquetWriter(std::move(*out), options);
    case Format::kWebDataset: return io::NewWebDatasetWriter(std::move(*out), options);
    case Format::kJsonl:
    case Format::kAuto: break;
  }
  return io::NewJsonlWriter(std::move(*out));
}

}  // namespace capsfusion
