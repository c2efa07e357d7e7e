// RejectWriter: rejected rows as JSONL {"origin", "reason", "text"}; the file
// is created on the first reject only.
#include "capsfusion/writer.h"

namespace capsfusion {

RejectWriter::RejectWriter(std::string path) : path_(std::move(path)) {}

RejectWriter::~RejectWriter() { Close(); }

Status RejectWriter::Write(const Reject& reject) {
  if (!out_) {
    WriterOptions options;
    options.format = Format::kJsonl;
    auto opened = RecordWriter::Open(path_, options);
    if (!opened.ok()) return opened.status();
    out_ = std::move(*opened);
  }
  record_.fields.resize(3);
  record_.fields[0].name = "origin";
  record_.fields[0].json = JsonString(reject.origin);
  record_.fields[1].name = "reason";
  record_.fields[1].json = JsonString(reject.reason);
  record_.fields[2].name = "text";
  record_.fields[2].json = JsonString(reject.text);
  Status s = out_->Write(record_);
  if (s.ok()) ++count_;
  return s;
}

Status RejectWriter::Close() {
  if (!out_) return Status::OK();
  return out_->Close();
}

}  // namespace capsfusion
