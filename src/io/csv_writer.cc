// CSV and TSV output. The header is WriterOptions::columns, or the first
// record's field names. A JSON string value is unescaped into its cell; any
// other value is written as its JSON text; a missing field is an empty cell;
// fields outside the header are left out. Cells holding the delimiter, a
// quote, CR or LF are quoted RFC 4180 style (quotes doubled).
#include "io/json_scanner.h"
#include "io/writers.h"

namespace capsfusion::io {

namespace {

class CsvWriter : public RecordWriter {
 public:
  CsvWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options, char delimiter)
      : out_(std::move(out)), columns_(options.columns), delim_(delimiter) {}
  ~CsvWriter() override { Close(); }

  Status Write(const Record& record) override {
    if (closed_) return Status::InvalidArgument("write to a closed writer: " + out_->name());
    std::string* buf = out_->buffer();
    if (!header_written_) {
      if (columns_.empty()) {
        for (const Field& f : record.fields) columns_.push_back(f.name);
      }
      WriteHeader(buf);
    }
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) buf->push_back(delim_);
      const Field* f = c < record.fields.size() && record.fields[c].name == columns_[c] ? &record.fields[c]
                                                                                       : record.Find(columns_[c]);
      if (f == nullptr) continue;
      if (!f->json.empty() && f->json[0] == '"') {
        cell_.clear();
        if (DecodeJsonStringLiteral(f->json, &cell_)) {
          AppendCell(cell_, buf);
          continue;
        }
      }
      AppendCell(f->json, buf);
    }
    buf->push_back('\n');
    return out_->Flushed();
  }

  Status Close() override {
    if (!closed_) {
      closed_ = true;
      if (!header_written_ && !columns_.empty()) WriteHeader(out_->buffer());
    }
    return out_->Close();
  }

 private:
  void WriteHeader(std::string* buf) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) buf->push_back(delim_);
      AppendCell(columns_[c], buf);
    }
    buf->push_back('\n');
    header_written_ = true;
  }

  void AppendCell(std::string_view cell, std::string* buf) const {
    bool quote = false;
    for (char ch : cell) {
      if (ch == delim_ || ch == '"' || ch == '\n' || ch == '\r') {
        quote = true;
        break;
      }
    }
    if (!quote) {
      buf->append(cell);
      return;
    }
    buf->push_back('"');
    for (char ch : cell) {
      if (ch == '"') buf->push_back('"');
      buf->push_back(ch);
    }
    buf->push_back('"');
  }

  std::unique_ptr<OutputStream> out_;
  std::vector<std::string> columns_;
  const char delim_;
  bool header_written_ = false;
  bool closed_ = false;
  std::string cell_;
};

}  // namespace

std::unique_ptr<RecordWriter> NewCsvWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options,
                                           char delimiter) {
  return std::make_unique<CsvWriter>(std::move(out), options, delimiter);
}

}  // namespace capsfusion::io
