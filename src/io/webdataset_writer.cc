// WebDataset output: a new tar shard. A record read from a shard (it has
// __key__ and __url__) gets every member of its sample copied from that shard,
// byte for byte, followed by KEY.<field>.txt for each of
// WriterOptions::webdataset_text_fields it has (KEY.capsfusion.txt for the
// fused caption). Any other record is written as KEY.json (its fields but
// __key__ and __url__) plus the same text members; KEY is __key__ or the id.
//
// Source shards are read forward only, so records must come in shard order
// (as fuse writes them); a sample that is not found ahead is an error.
#include "io/json_scanner.h"
#include "io/writers.h"
#include "webdataset/tar_reader.h"
#include "webdataset/tar_writer.h"

namespace capsfusion::io {

namespace {

using webdataset::TarMember;
using webdataset::TarReader;
using webdataset::TarWriter;

// The text of a field: a JSON string decoded, anything else as its JSON text.
std::string FieldText(const Field& f) {
  std::string out;
  if (!DecodeJsonStringLiteral(f.json, &out)) out = f.json;
  return out;
}

class WebDatasetWriter : public RecordWriter {
 public:
  WebDatasetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options)
      : out_(std::move(out)), tar_(out_.get()), fields_(options.webdataset_text_fields) {}
  ~WebDatasetWriter() override { Close(); }

  Status Write(const Record& record) override {
    if (closed_) return Status::InvalidArgument("write to a closed writer: " + out_->name());
    const Field* key_field = record.Find("__key__");
    const Field* url_field = record.Find("__url__");
    std::string key = key_field ? FieldText(*key_field) : record.id;
    if (key.empty()) return Status::InvalidArgument("record without a key (__key__ or id)");
    if (url_field) {
      CF_RETURN_IF_ERROR(CopySample(FieldText(*url_field), key));
    } else {
      std::string json = "{";
      for (const Field& f : record.fields) {
        if (f.name == "__key__" || f.name == "__url__") continue;
        if (json.size() > 1) json.push_back(',');
        AppendJsonString(f.name, &json);
        json.push_back(':');
        json += f.json.empty() ? "null" : f.json;
      }
      json += "}";
      CF_RETURN_IF_ERROR(tar_.Add(key + ".json", json));
    }
    for (const std::string& name : fields_) {
      const Field* f = record.Find(name);
      if (f == nullptr) continue;
      CF_RETURN_IF_ERROR(tar_.Add(key + "." + name + ".txt", FieldText(*f)));
    }
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    source_.reset();
    status_ = tar_.Finish();
    Status s = out_->Close();
    if (status_.ok()) status_ = s;
    return status_;
  }

 private:
  struct Source {
    std::string path;
    std::unique_ptr<SourceBuffer> buffer;
    std::unique_ptr<TarReader> tar;
    TarMember pending;
    bool have_pending = false;
  };

  // Copies the members of sample `key` from shard `path`, reading forward.
  Status CopySample(const std::string& path, const std::string& key) {
    if (!source_ || source_->path != path) {
      auto in = InputStream::Open(path);
      if (!in.ok()) return in.status().WithContext("copying sample " + key);
      source_ = std::make_unique<Source>();
      source_->path = path;
      source_->buffer = std::make_unique<SourceBuffer>(std::move(*in));
      source_->tar = std::make_unique<TarReader>(source_->buffer.get(), path);
    }
    Source& s = *source_;
    bool copying = false;
    for (;;) {
      if (!s.have_pending) {
        TarReader::Result r = s.tar->Next(&s.pending);
        if (r == TarReader::Result::kError) continue;  // a damaged header: the reader rejected that sample
        if (r == TarReader::Result::kEnd) {
          if (copying) return Status::OK();
          return Status::NotFound(path + ": sample " + key + " not found after the previous one (records must " +
                                  "come in shard order)");
        }
        s.have_pending = true;
      }
      std::string_view k, ext;
      const bool member_of_key =
          s.pending.is_file() && webdataset::SplitKey(s.pending.name, &k, &ext) && k == key;
      if (copying && !member_of_key) return Status::OK();  // pending_ starts the next sample
      s.have_pending = false;
      if (!member_of_key) continue;  // another sample (rejected, or not selected)
      copying = true;
      CF_RETURN_IF_ERROR(tar_.Begin(s.pending.name, s.pending.size, s.pending.mtime, s.pending.mode));
      Status write;
      bool ok = s.tar->CopyData([&](std::string_view piece) {
        write = tar_.Append(piece);
        return write.ok();
      });
      CF_RETURN_IF_ERROR(write);
      if (!ok) return Status::Corruption(s.tar->error());
      CF_RETURN_IF_ERROR(tar_.End());
    }
  }

  std::unique_ptr<OutputStream> out_;
  TarWriter tar_;
  std::vector<std::string> fields_;
  std::unique_ptr<Source> source_;
  bool closed_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<RecordWriter> NewWebDatasetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options) {
  return std::make_unique<WebDatasetWriter>(std::move(out), options);
}

}  // namespace capsfusion::io
