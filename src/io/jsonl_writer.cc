// JSONL and JSON array output: each record is one object with its fields in
// record order, names escaped, values written as their JSON text verbatim.
#include "io/writers.h"

namespace capsfusion::io {

namespace {

// Appends `record` as one JSON object (no newline).
Status AppendObject(const Record& record, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const Field& f : record.fields) {
    if (f.json.empty()) {
      return Status::InvalidArgument("field " + f.name + " of record " + record.id + " has no JSON value");
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(f.name, out);
    out->push_back(':');
    out->append(f.json);
  }
  out->push_back('}');
  return Status::OK();
}

class JsonlWriter : public RecordWriter {
 public:
  explicit JsonlWriter(std::unique_ptr<OutputStream> out) : out_(std::move(out)) {}
  ~JsonlWriter() override { Close(); }

  Status Write(const Record& record) override {
    std::string* buf = out_->buffer();
    const size_t mark = buf->size();
    Status s = AppendObject(record, buf);
    if (!s.ok()) {
      buf->resize(mark);
      return s;
    }
    buf->push_back('\n');
    return out_->Flushed();
  }

  Status Close() override { return out_->Close(); }

 private:
  std::unique_ptr<OutputStream> out_;
};

class JsonArrayWriter : public RecordWriter {
 public:
  explicit JsonArrayWriter(std::unique_ptr<OutputStream> out) : out_(std::move(out)) {}
  ~JsonArrayWriter() override { Close(); }

  Status Write(const Record& record) override {
    if (closed_) return Status::InvalidArgument("write to a closed writer: " + out_->name());
    std::string* buf = out_->buffer();
    const size_t mark = buf->size();
    buf->append(count_ == 0 ? "[\n" : ",\n");
    Status s = AppendObject(record, buf);
    if (!s.ok()) {
      buf->resize(mark);
      return s;
    }
    ++count_;
    return out_->Flushed();
  }

  Status Close() override {
    if (!closed_) {
      closed_ = true;
      out_->buffer()->append(count_ == 0 ? "[]\n" : "\n]\n");
    }
    return out_->Close();
  }

 private:
  std::unique_ptr<OutputStream> out_;
  size_t count_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<RecordWriter> NewJsonlWriter(std::unique_ptr<OutputStream> out) {
  return std::make_unique<JsonlWriter>(std::move(out));
}

std::unique_ptr<RecordWriter> NewJsonArrayWriter(std::unique_ptr<OutputStream> out) {
  return std::make_unique<JsonArrayWriter>(std::move(out));
}

}  // namespace capsfusion::io
