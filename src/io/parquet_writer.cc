// Parquet output: records are buffered column by column for one row group,
// then written as typed columns. The first row group fixes the columns and
// their types, inferred from the JSON values:
//
//   only strings                  -> BYTE_ARRAY (UTF8)
//   only integers (fit int64)     -> INT64
//   numbers (integers exact)      -> DOUBLE
//   only true/false               -> BOOLEAN
//   anything else (mixed types,   -> BYTE_ARRAY holding text: a string's own
//   arrays, objects, all null)       text, any other value its JSON text
//
// null and a missing field are nulls; every column is OPTIONAL. A later value
// that its column's type cannot hold exactly fails the write with a message.
#include <charconv>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "io/json_scanner.h"
#include "io/writers.h"
#include "parquet/file_writer.h"

namespace capsfusion {

StatusOr<ParquetWriteOptions::Compression> ParseParquetCompression(const std::string& name) {
  using C = ParquetWriteOptions::Compression;
  if (name == "zstd") return C::kZstd;
  if (name == "snappy") return C::kSnappy;
  if (name == "gzip") return C::kGzip;
  if (name == "lz4_raw" || name == "lz4") return C::kLz4Raw;
  if (name == "none" || name == "uncompressed") return C::kNone;
  return Status::InvalidArgument("unknown Parquet compression '" + name + "' (expected zstd, snappy, gzip, lz4_raw or none)");
}

namespace io {

namespace {

using parquet::ColumnData;
using parquet::WriteType;

enum class Kind { kMissing, kNull, kBool, kInt, kDouble, kString, kOther };

Kind Classify(std::string_view json) {
  if (json.empty()) return Kind::kMissing;
  switch (json[0]) {
    case '"': return Kind::kString;
    case 't':
    case 'f': return json == "true" || json == "false" ? Kind::kBool : Kind::kOther;
    case 'n': return json == "null" ? Kind::kNull : Kind::kOther;
    case '[':
    case '{': return Kind::kOther;
    default: break;
  }
  if (json.find_first_of(".eE") == std::string_view::npos) {
    int64_t v;
    auto r = std::from_chars(json.data(), json.data() + json.size(), v);
    if (r.ec == std::errc() && r.ptr == json.data() + json.size()) return Kind::kInt;
  }
  double d;
  auto r = std::from_chars(json.data(), json.data() + json.size(), d);
  if (r.ec == std::errc() && r.ptr == json.data() + json.size() && std::isfinite(d)) return Kind::kDouble;
  return Kind::kOther;
}

bool ParseInt(std::string_view json, int64_t* v) {
  auto r = std::from_chars(json.data(), json.data() + json.size(), *v);
  return r.ec == std::errc() && r.ptr == json.data() + json.size();
}

bool ParseDouble(std::string_view json, double* v) {
  auto r = std::from_chars(json.data(), json.data() + json.size(), *v);
  return r.ec == std::errc() && r.ptr == json.data() + json.size() && std::isfinite(*v);
}

constexpr int64_t kExactDouble = int64_t{1} << 53;

// One column's buffered values for the current row group: JSON texts back to
// back; an empty text is a missing field.
struct Buffered {
  std::string name;
  std::string json;
  std::vector<uint32_t> ends = {0};
  size_t rows() const { return ends.size() - 1; }
  std::string_view at(size_t i) const { return std::string_view(json.data() + ends[i], ends[i + 1] - ends[i]); }
};

class ParquetWriter : public RecordWriter {
 public:
  ParquetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options)
      : out_(std::move(out)),
        options_(options.parquet),
        file_([this](std::string_view b) { return out_->Append(b); }, FileOptions(options.parquet)) {
    for (const std::string& c : options.columns) AddColumn(c);
    fixed_ = !options.columns.empty();
  }
  ~ParquetWriter() override { Close(); }

  Status Write(const Record& record) override {
    if (closed_) return Status::InvalidArgument("write to a closed writer: " + out_->name());
    if (!status_.ok()) return status_;
    for (const Field& f : record.fields) {
      auto it = index_.find(f.name);
      size_t c;
      if (it == index_.end()) {
        if (fixed_) {
          if (!options_columns_) {
            return Fail(Status::InvalidArgument(
                out_->name() + ": field " + f.name + " first appears in row " + std::to_string(rows_total_ + 1) +
                ", after the first row group fixed the Parquet columns (give the columns up front or use a larger "
                "row group)"));
          }
          continue;
        }
        c = AddColumn(f.name);
      } else {
        c = it->second;
      }
      Buffered& b = columns_[c];
      if (b.rows() > rows_) continue;  // a repeated name keeps its first value
      b.json += f.json.empty() ? std::string_view("null") : std::string_view(f.json);
      b.ends.push_back(static_cast<uint32_t>(b.json.size()));
      bytes_ += f.json.size();
      if (b.json.size() > UINT32_MAX / 2) bytes_ = SIZE_MAX;  // force a flush long before offsets overflow
    }
    ++rows_;
    ++rows_total_;
    for (Buffered& b : columns_) {
      if (b.rows() < rows_) b.ends.push_back(static_cast<uint32_t>(b.json.size()));
    }
    if (rows_ >= options_.row_group_rows || bytes_ >= options_.row_group_bytes) return Flush();
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    if (status_.ok()) status_ = Flush();
    if (status_.ok() && !started_) status_ = FixSchema();
    if (status_.ok()) status_ = file_.Finish();
    Status s = out_->Close();
    if (status_.ok()) status_ = s;
    return status_;
  }

 private:
  static parquet::FileWriterOptions FileOptions(const ParquetWriteOptions& o) {
    parquet::FileWriterOptions f;
    using C = ParquetWriteOptions::Compression;
    switch (o.compression) {
      case C::kZstd: f.codec = parquet::kZstd; break;
      case C::kSnappy: f.codec = parquet::kSnappy; break;
      case C::kGzip: f.codec = parquet::kGzip; break;
      case C::kLz4Raw: f.codec = parquet::kLz4Raw; break;
      case C::kNone: f.codec = parquet::kUncompressed; break;
    }
    f.compression_level = o.compression_level;
    f.dictionary = o.dictionary;
    f.page_bytes = std::max<size_t>(o.page_bytes, 1024);
    f.created_by = std::string("capsfusion version ") + CAPSFUSION_VERSION;
    for (const auto& [key, value] : o.key_value_metadata) f.key_value_metadata.push_back({key, value});
    return f;
  }

  Status Fail(Status s) {
    status_ = s;
    return s;
  }

  size_t AddColumn(const std::string& name) {
    size_t c = columns_.size();
    index_.emplace(name, c);
    columns_.emplace_back();
    columns_.back().name = name;
    columns_.back().ends.assign(rows_ + 1, 0);
    return c;
  }

  // Infers each column's type from the first row group.
  Status FixSchema() {
    started_ = true;
    options_columns_ = fixed_;
    fixed_ = true;
    std::vector<std::string> names;
    std::vector<WriteType> types;
    for (const Buffered& b : columns_) {
      bool str = false, boolean = false, integer = false, dbl = false, other = false, inexact = false;
      for (size_t i = 0; i < b.rows(); ++i) {
        std::string_view v = b.at(i);
        switch (Classify(v)) {
          case Kind::kMissing:
          case Kind::kNull: break;
          case Kind::kString: str = true; break;
          case Kind::kBool: boolean = true; break;
          case Kind::kInt: {
            integer = true;
            int64_t x = 0;
            ParseInt(v, &x);
            if (x > kExactDouble || x < -kExactDouble) inexact = true;
            break;
          }
          case Kind::kDouble: dbl = true; break;
          case Kind::kOther: other = true; break;
        }
      }
      WriteType t = WriteType::kString;
      const int kinds = str + boolean + (integer || dbl) + other;
      if (kinds == 1 && boolean) t = WriteType::kBool;
      if (kinds == 1 && integer && !dbl) t = WriteType::kInt64;
      if (kinds == 1 && dbl && !(integer && inexact)) t = WriteType::kDouble;
      names.push_back(b.name);
      types.push_back(t);
    }
    file_.SetSchema(std::move(names), std::move(types));
    data_.resize(columns_.size());
    return Status::OK();
  }

  Status Convert(size_t c, ColumnData* d) {
    const Buffered& b = columns_[c];
    const WriteType t = file_.types()[c];
    d->Clear();
    d->present.reserve(b.rows());
    for (size_t i = 0; i < b.rows(); ++i) {
      std::string_view v = b.at(i);
      const Kind k = Classify(v);
      if (k == Kind::kMissing || k == Kind::kNull) {
        d->present.push_back(0);
        continue;
      }
      d->present.push_back(1);
      bool ok = true;
      switch (t) {
        case WriteType::kString:
          if (k == Kind::kString) {
            DecodeJsonString(v.substr(1, v.size() - 2), &d->bytes);
          } else {
            d->bytes.append(v.data(), v.size());
          }
          if (d->bytes.size() > UINT32_MAX) return Status::OutOfRange(out_->name() + ": column " + b.name + " over 4 GiB in one row group");
          d->ends.push_back(static_cast<uint32_t>(d->bytes.size()));
          break;
        case WriteType::kInt64: {
          int64_t x;
          ok = k == Kind::kInt && ParseInt(v, &x);
          if (ok) d->ints.push_back(x);
          break;
        }
        case WriteType::kDouble: {
          double x;
          ok = (k == Kind::kInt || k == Kind::kDouble) && ParseDouble(v, &x);
          if (ok && k == Kind::kInt) {
            int64_t n = 0;
            ok = ParseInt(v, &n) && n <= kExactDouble && n >= -kExactDouble;
          }
          if (ok) d->doubles.push_back(x);
          break;
        }
        case WriteType::kBool:
          ok = k == Kind::kBool;
          if (ok) d->bools.push_back(v == "true");
          break;
      }
      if (!ok) {
        return Status::InvalidArgument(out_->name() + ": column " + b.name + " is " + parquet::WriteTypeName(t) +
                                       " (from the first row group) but row " +
                                       std::to_string(rows_total_ - rows_ + i + 1) + " has " +
                                       std::string(v.substr(0, 64)) + (v.size() > 64 ? "..." : ""));
      }
    }
    return Status::OK();
  }

  Status Flush() {
    if (rows_ == 0) return Status::OK();
    if (!started_) CF_RETURN_IF_ERROR(FixSchema());
    for (size_t c = 0; c < columns_.size(); ++c) {
      Status s = Convert(c, &data_[c]);
      if (!s.ok()) return Fail(s);
    }
    Status s = file_.WriteRowGroup(data_, static_cast<int64_t>(rows_));
    if (!s.ok()) return Fail(s);
    for (Buffered& b : columns_) {
      b.json.clear();
      b.ends.assign(1, 0);
    }
    for (ColumnData& d : data_) d.Clear();
    rows_ = 0;
    bytes_ = 0;
    return Status::OK();
  }

  std::unique_ptr<OutputStream> out_;
  ParquetWriteOptions options_;
  parquet::FileWriter file_;
  std::vector<Buffered> columns_;
  std::unordered_map<std::string, size_t> index_;
  std::vector<ColumnData> data_;
  size_t rows_ = 0;         // in the buffered row group
  uint64_t rows_total_ = 0;
  size_t bytes_ = 0;
  bool fixed_ = false;            // no new columns
  bool options_columns_ = false;  // the columns came from WriterOptions
  bool started_ = false;
  bool closed_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<RecordWriter> NewParquetWriter(std::unique_ptr<OutputStream> out, const WriterOptions& options) {
  return std::make_unique<ParquetWriter>(std::move(out), options);
}

}  // namespace io
}  // namespace capsfusion
