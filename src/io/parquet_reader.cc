// Parquet input: each row becomes a record whose fields are the row's columns
// as JSON text (strings quoted, numbers, true/false, null for nulls). Row
// groups are read one at a time, and only the projected columns' chunks are
// fetched, so memory follows the largest row group's selected columns.
#include <memory>

#include "io/readers.h"
#include "parquet/column_reader.h"
#include "parquet/file_reader.h"

namespace capsfusion::io {

namespace {

using parquet::ColumnDescriptor;
using parquet::ColumnReader;
using parquet::ValueKind;

JsonType TypeOf(const ColumnDescriptor& c) {
  switch (c.kind) {
    case ValueKind::kString: return JsonType::kString;
    case ValueKind::kBool: return JsonType::kBool;
    default: return JsonType::kNumber;
  }
}

bool Needed(const ReaderOptions& options, const std::string& name) {
  for (const std::string& c : options.extra_columns) {
    if (name == c) return true;
  }
  const FieldMap& map = options.fields;
  if (name == map.raw || name == map.synthetic || (!map.id.empty() && name == map.id)) return true;
  for (const std::string& r : map.references) {
    if (name == r) return true;
  }
  return false;
}

class ParquetReader : public RecordReader {
 public:
  ParquetReader(std::unique_ptr<parquet::ParquetFile> file, std::vector<const ColumnDescriptor*> columns,
                std::string name, const ReaderOptions& options)
      : file_(std::move(file)), name_(std::move(name)), options_(options), builder_(options_) {
    for (const ColumnDescriptor* c : columns) readers_.emplace_back(*c);
    json_.resize(readers_.size());
    members_.resize(readers_.size());
  }

  Result Next(Record* record, Reject* reject) override {
    if (done_) return Result::kEnd;
    while (row_ >= rows_in_group_) {
      if (group_ + 1 >= file_->num_row_groups()) {
        done_ = true;
        return Result::kEnd;
      }
      Status s = StartGroup(group_ + 1);
      if (!s.ok()) {
        status_ = s;
        done_ = true;
        return Result::kEnd;
      }
    }
    const uint64_t index = index_++;
    ++row_;
    bool bad = false;
    std::string bad_column;
    size_t total = 0;
    for (size_t c = 0; c < readers_.size(); ++c) {
      json_[c].clear();
      bool b = false;
      Status s = readers_[c].Next(&json_[c], &b);
      if (!s.ok()) {
        status_ = s.WithContext(name_ + ": row group " + std::to_string(group_));
        done_ = true;
        return Result::kEnd;
      }
      if (b && !bad) {
        bad = true;
        bad_column = readers_[c].column().name;
      }
      total += json_[c].size();
    }
    const uint64_t row_number = index + 1;
    if (bad) {
      Fill(reject, row_number, "column " + bad_column + " holds bytes that are not valid UTF-8");
      return Result::kReject;
    }
    if (total > options_.max_row_bytes) {
      Fill(reject, row_number, "row is " + std::to_string(total) + " bytes as JSON, over max_row_bytes (" +
                                   std::to_string(options_.max_row_bytes) + ")");
      return Result::kReject;
    }
    for (size_t c = 0; c < readers_.size(); ++c) {
      const ColumnDescriptor& col = readers_[c].column();
      JsonMember& m = members_[c];
      m.key = col.name;
      m.key_escaped = false;
      m.value = json_[c];
      m.type = json_[c] == "null" ? JsonType::kNull : TypeOf(col);
      m.value_escaped = m.type == JsonType::kString && json_[c].find('\\') != std::string::npos;
    }
    std::string reason;
    if (!builder_.FromJson(members_, record, &reason)) {
      Fill(reject, row_number, std::move(reason));
      return Result::kReject;
    }
    record->origin = name_ + ":row " + std::to_string(row_number);
    record->index = index;
    return Result::kRecord;
  }

  const Status& status() const override { return status_; }
  uint64_t bytes_read() const override { return file_->bytes_read(); }

 private:
  void Fill(Reject* reject, uint64_t row, std::string reason) {
    reject->origin = name_ + ":row " + std::to_string(row);
    reject->reason = std::move(reason);
    reject->text.clear();
    for (size_t c = 0; c < readers_.size() && reject->text.size() < kRejectTextBytes; ++c) {
      if (!reject->text.empty()) reject->text += ", ";
      reject->text += readers_[c].column().name + "=" + json_[c].substr(0, kRejectTextBytes);
    }
    if (reject->text.size() > kRejectTextBytes) reject->text.resize(kRejectTextBytes);
  }

  Status StartGroup(int g) {
    group_ = g;
    row_ = 0;
    rows_in_group_ = 0;
    CF_RETURN_IF_ERROR(file_->CheckRowGroup(g));
    const parquet::RowGroup& rg = file_->metadata().row_groups[static_cast<size_t>(g)];
    for (ColumnReader& r : readers_) {
      std::string chunk;
      CF_RETURN_IF_ERROR(file_->ReadChunk(g, r.column().leaf, &chunk));
      const auto& meta = rg.columns[static_cast<size_t>(r.column().leaf)].meta_data;
      r.Start(std::move(chunk), meta.codec, rg.num_rows);
    }
    rows_in_group_ = static_cast<uint64_t>(rg.num_rows);
    return Status::OK();
  }

  std::unique_ptr<parquet::ParquetFile> file_;
  std::string name_;
  ReaderOptions options_;
  RecordBuilder builder_;
  std::vector<ColumnReader> readers_;
  std::vector<std::string> json_;
  std::vector<JsonMember> members_;
  int group_ = -1;
  uint64_t row_ = 0;
  uint64_t rows_in_group_ = 0;
  uint64_t index_ = 0;
  bool done_ = false;
  Status status_;
};

}  // namespace

StatusOr<std::unique_ptr<RecordReader>> NewParquetReader(const std::string& path, const ReaderOptions& options) {
  if (path == "-") {
    return Status::InvalidArgument("Parquet cannot be read from standard input (it needs to seek); give a file");
  }
  auto file = parquet::ParquetFile::Open(path);
  if (!file.ok()) return file.status();
  return NewParquetReader(std::move(*file), path, options);
}

StatusOr<std::unique_ptr<RecordReader>> NewParquetReader(std::unique_ptr<parquet::ParquetFile> file,
                                                         const std::string& path, const ReaderOptions& options) {
  const parquet::Schema& schema = file->schema();
  std::vector<const ColumnDescriptor*> columns;
  for (const ColumnDescriptor& c : schema.columns) {
    const bool needed = Needed(options, c.name);
    if (options.columns == ColumnSelection::kFieldMap && !needed) continue;
    if (!c.unsupported.empty()) {
      if (!needed && options.skip_unsupported_columns) continue;
      return Status::NotSupported(path + ": column " + c.name + " is " + c.unsupported +
                                  ", which capsfusion cannot read" +
                                  (needed ? std::string()
                                          : std::string(" (--skip-unsupported-columns leaves such columns out)")));
    }
    columns.push_back(&c);
  }
  std::unique_ptr<RecordReader> reader =
      std::make_unique<ParquetReader>(std::move(file), std::move(columns), path, options);
  return reader;
}

}  // namespace capsfusion::io
