#include "backend/vision_sources.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/input_stream.h"
#include "io/source_buffer.h"
#include "webdataset/tar_reader.h"

namespace capsfusion::backend {

namespace fs = std::filesystem;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// True when the record has `field` as a non-empty string (or any non-null value).
bool HasValue(const Record& r, const std::string& field) {
  const Field* f = r.Find(field);
  return f != nullptr && f->json != "null" && f->json != "\"\"";
}

// Adds the top-level fields of a JSON object text; false when it is not one.
bool MergeJsonObject(const std::string& text, Record* r) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return false;
  for (auto it = j.begin(); it != j.end(); ++it) {
    r->Set(it.key(), it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return true;
}

Status ReadImageFile(const std::string& path, size_t max_bytes, std::string* out) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return Status::IOError("cannot read image " + path + ": " + ec.message());
  if (size > max_bytes) {
    return Status::OutOfRange("image " + path + " has " + std::to_string(size) + " bytes, over the limit of " +
                              std::to_string(max_bytes) + " (--max-image-bytes)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open image " + path);
  out->assign(static_cast<size_t>(size), '\0');
  in.read(out->data(), static_cast<std::streamsize>(size));
  if (!in) return Status::IOError("cannot read image " + path);
  return Status::OK();
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string TrimLine(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

class FolderSource : public ImageSource {
 public:
  FolderSource(std::string dir, std::vector<std::string> files, ImageSourceOptions o)
      : dir_(std::move(dir)), files_(std::move(files)), options_(std::move(o)) {}

  bool Next(ImageItem* item) override {
    if (next_ >= files_.size()) return false;
    const std::string& rel = files_[next_++];
    *item = ImageItem();
    const std::string full = (fs::path(dir_) / rel).string();
    item->record.origin = full;
    item->record.index = next_ - 1;
    item->record.id = rel;
    item->record.SetString("id", rel);
    fs::path stem = fs::path(full).replace_extension();
    std::string txt = stem.string() + ".txt", json = stem.string() + ".json";
    if (fs::is_regular_file(txt)) item->record.SetString("txt", TrimLine(ReadSmallFile(txt)));
    if (fs::is_regular_file(json) && !MergeJsonObject(ReadSmallFile(json), &item->record)) {
      item->status = Status::Corruption(json + ": not a JSON object");
      return true;
    }
    item->needs_caption = options_.overwrite || !HasValue(item->record, options_.synthetic_field);
    if (item->needs_caption) item->status = ReadImageFile(full, options_.max_image_bytes, &item->image);
    return true;
  }
  const Status& status() const override { return status_; }

 private:
  std::string dir_;
  std::vector<std::string> files_;
  ImageSourceOptions options_;
  size_t next_ = 0;
  Status status_;
};

class TarSource : public ImageSource {
 public:
  TarSource(std::string path, std::unique_ptr<io::SourceBuffer> src, ImageSourceOptions o)
      : path_(std::move(path)), src_(std::move(src)), tar_(src_.get(), path_), options_(std::move(o)) {}

  bool Next(ImageItem* item) override {
    *item = ImageItem();
    std::string key;
    bool any = false, have_image = false;
    Status image_status;
    for (;;) {
      if (!have_pending_) {
        if (done_) break;
        auto r = tar_.Next(&pending_);
        if (r == webdataset::TarReader::Result::kEnd) {
          done_ = true;
          if (tar_.truncated()) status_ = Status::Corruption(path_ + ": " + tar_.error());
          break;
        }
        if (r == webdataset::TarReader::Result::kError) {
          if (any) break;
          item->status = Status::Corruption(path_ + ": " + tar_.error());
          item->record.origin = path_;
          return true;
        }
        have_pending_ = true;
      }
      std::string_view k, ext;
      if (!pending_.is_file() || !webdataset::SplitKey(pending_.name, &k, &ext)) {
        have_pending_ = false;
        continue;
      }
      if (any && k != key) break;  // the next sample starts
      if (!any) {
        key = std::string(k);
        any = true;
        item->record.origin = path_ + ":" + key;
        item->record.index = index_++;
        item->record.id = key;
        item->record.SetString("__key__", key);
        item->record.SetString("__url__", path_);
      }
      have_pending_ = false;
      std::string e = Lower(std::string(ext));
      if (IsImageName("x." + e)) {
        std::string data;
        if (!tar_.ReadData(options_.max_image_bytes, &data)) {
          image_status = Status::OutOfRange(item->record.origin + ": image member " + pending_.name + ": " + tar_.error());
        } else if (!have_image) {
          item->image = std::move(data);
          have_image = true;
        }
      } else if (e == "txt" || e == "json" || (e.size() > 4 && e.compare(e.size() - 4, 4, ".txt") == 0)) {
        std::string data;
        if (!tar_.ReadData(16 << 20, &data)) {
          item->status = Status::Corruption(item->record.origin + ": member " + pending_.name + ": " + tar_.error());
          continue;
        }
        if (e == "json") {
          if (!MergeJsonObject(data, &item->record)) {
            item->status = Status::Corruption(item->record.origin + ": " + pending_.name + " is not a JSON object");
          }
        } else {
          item->record.SetString(e == "txt" ? "txt" : e.substr(0, e.size() - 4), TrimLine(data));
        }
      }
    }
    if (!any) return false;
    item->needs_caption = options_.overwrite || !HasValue(item->record, options_.synthetic_field);
    if (item->status.ok() && item->needs_caption) {
      if (!image_status.ok()) {
        item->status = image_status;
      } else if (!have_image) {
        item->status = Status::NotFound(item->record.origin + ": the sample has no .jpg, .png or .webp member");
      }
    }
    if (!item->needs_caption) item->image.clear();
    return true;
  }
  const Status& status() const override { return status_; }

 private:
  std::string path_;
  std::unique_ptr<io::SourceBuffer> src_;
  webdataset::TarReader tar_;
  ImageSourceOptions options_;
  webdataset::TarMember pending_;
  bool have_pending_ = false, done_ = false;
  uint64_t index_ = 0;
  Status status_;
};

class DatasetSource : public ImageSource {
 public:
  DatasetSource(std::unique_ptr<RecordReader> reader, std::string field, std::string root, ImageSourceOptions o)
      : reader_(std::move(reader)), field_(std::move(field)), root_(std::move(root)), options_(std::move(o)) {}

  bool Next(ImageItem* item) override {
    *item = ImageItem();
    Reject rej;
    auto r = reader_->Next(&item->record, &rej);
    if (r == RecordReader::Result::kEnd) return false;
    if (r == RecordReader::Result::kReject) {
      item->record.origin = rej.origin;
      item->status = Status::Corruption(rej.reason);
      return true;
    }
    item->needs_caption = options_.overwrite || !HasValue(item->record, options_.synthetic_field);
    if (!item->needs_caption) return true;
    const Field* f = item->record.Find(field_);
    auto j = f == nullptr ? nlohmann::json() : nlohmann::json::parse(f->json, nullptr, false);
    if (!j.is_string() || j.get<std::string>().empty()) {
      item->status = Status::NotFound("no image path in field " + field_);
      return true;
    }
    fs::path p = j.get<std::string>();
    if (p.is_relative()) p = fs::path(root_) / p;
    item->status = ReadImageFile(p.string(), options_.max_image_bytes, &item->image);
    return true;
  }
  const Status& status() const override { return reader_->status(); }

 private:
  std::unique_ptr<RecordReader> reader_;
  std::string field_, root_;
  ImageSourceOptions options_;
};

}  // namespace

bool IsImageName(const std::string& name) {
  std::string ext = Lower(fs::path(name).extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".webp";
}

StatusOr<std::unique_ptr<ImageSource>> OpenImageFolder(const std::string& dir, const ImageSourceOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound(dir + ": not a folder");
  std::vector<std::string> files;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_regular_file(ec) && IsImageName(it->path().string())) {
      files.push_back(fs::relative(it->path(), dir, ec).generic_string());
    }
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return std::unique_ptr<ImageSource>(new FolderSource(dir, std::move(files), options));
}

StatusOr<std::unique_ptr<ImageSource>> OpenImageTar(const std::string& path, const ImageSourceOptions& options) {
  auto in = io::InputStream::Open(path);
  if (!in.ok()) return in.status();
  auto src = std::make_unique<io::SourceBuffer>(std::move(*in));
  return std::unique_ptr<ImageSource>(new TarSource(path, std::move(src), options));
}

StatusOr<std::unique_ptr<ImageSource>> OpenImageDataset(const std::string& path, const std::string& image_field,
                                                        const std::string& image_root, const ReaderOptions& reader,
                                                        const ImageSourceOptions& options) {
  ReaderOptions ro = reader;
  ro.require_raw = false;
  ro.require_synthetic = false;
  ro.fields.synthetic = options.synthetic_field;
  ro.columns = ColumnSelection::kAll;
  auto r = RecordReader::Open(path, ro);
  if (!r.ok()) return r.status();
  std::string root = image_root.empty() ? fs::path(path).parent_path().string() : image_root;
  return std::unique_ptr<ImageSource>(new DatasetSource(std::move(*r), image_field, root, options));
}

}  // namespace capsfusion::backend
