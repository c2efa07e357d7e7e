// RecordReader::Open: opens the input, strips a UTF-8 byte order mark, picks
// the format (flag, then file name, then content) and hands over to the
// format's reader.
#include <algorithm>

#include "io/readers.h"

namespace capsfusion {

namespace {

// The first byte that is not whitespace, looking at most `limit` bytes ahead;
// 0 when there is none (empty input).
char FirstNonSpace(io::SourceBuffer* src, size_t limit) {
  size_t i = 0;
  for (;;) {
    const char* p = src->data();
    for (; i < src->size() && i < limit; ++i) {
      char c = p[i];
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c;
    }
    if (i >= limit || !src->Fill()) return 0;
  }
}

// CSV or TSV from the first line: tabs but no more commas than tabs mean TSV.
Format SniffDelimited(io::SourceBuffer* src) {
  std::string_view w(src->data(), std::min<size_t>(src->size(), 1 << 16));
  std::string_view line = w.substr(0, w.find('\n'));
  size_t tabs = static_cast<size_t>(std::count(line.begin(), line.end(), '\t'));
  size_t commas = static_cast<size_t>(std::count(line.begin(), line.end(), ','));
  return tabs > 0 && tabs >= commas ? Format::kTsv : Format::kCsv;
}

}  // namespace

StatusOr<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                           const ReaderOptions& options) {
  if (options.max_row_bytes == 0 || options.max_field_bytes == 0) {
    return Status::InvalidArgument("max_row_bytes and max_field_bytes must be positive");
  }
  Format format = options.format;
  const Format name_format = path == "-" ? Format::kAuto : FormatFromPath(path);
  // Parquet needs random access: it reads the file itself.
  if (format == Format::kParquet || (format == Format::kAuto && name_format == Format::kParquet)) {
    return io::NewParquetReader(path, options);
  }
  if (format == Format::kAuto && name_format == Format::kWebDataset) format = Format::kWebDataset;

  auto input = io::InputStream::Open(path);
  if (!input.ok()) return input.status();
  const bool compressed = (*input)->compression() != io::InputStream::Compression::kNone;
  std::string name = (*input)->name();
  auto src = std::make_unique<io::SourceBuffer>(std::move(*input));

  // A UTF-8 byte order mark is not data.
  // (An input error found this early still lets the reader deliver the rows
  // decoded before it; its status() reports the error.)
  while (src->size() < 3 && src->Fill()) {
  }
  if (src->size() >= 3 && std::string_view(src->data(), 3) == "\xEF\xBB\xBF") src->Consume(3);

  // Content that is Parquet or a tar archive, whatever the name says nothing of.
  if (format == Format::kAuto && name_format == Format::kAuto) {
    while (src->size() < 512 && src->Fill()) {
    }
    if (!compressed && src->size() >= 4 && std::string_view(src->data(), 4) == "PAR1" && path != "-") {
      return io::NewParquetReader(path, options);
    }
    if (src->size() >= 262 && std::string_view(src->data() + 257, 5) == "ustar") format = Format::kWebDataset;
  }
  if (format == Format::kAuto || format == Format::kJson || format == Format::kJsonl) {
    bool explicit_format = format != Format::kAuto;
    Format from_name = path == "-" ? Format::kAuto : FormatFromPath(path);
    if (!explicit_format) format = from_name;
    if (!explicit_format && (format == Format::kAuto || format == Format::kJson || format == Format::kJsonl)) {
      // Content decides between a JSON array and JSONL ("[" or "{").
      char first = FirstNonSpace(src.get(), 1 << 20);
      if (first == '[') {
        format = Format::kJson;
      } else if (first == '{') {
        format = Format::kJsonl;
      } else if (format == Format::kAuto) {
        format = first == 0 ? Format::kJsonl : SniffDelimited(src.get());
      }
    }
  }

  io::ReaderParts parts{name, std::move(src), options};
  parts.options.format = format;
  switch (format) {
    case Format::kJson: return io::NewJsonArrayReader(std::move(parts));
    case Format::kJsonl: return io::NewJsonlReader(std::move(parts));
    case Format::kCsv: return io::NewCsvReader(std::move(parts), ',');
    case Format::kTsv: return io::NewCsvReader(std::move(parts), '\t');
    case Format::kWebDataset: return io::NewWebDatasetReader(std::move(parts));
    case Format::kParquet: break;
    case Format::kAuto: break;
  }
  return Status::Internal("no reader for format auto");
}

}  // namespace capsfusion
