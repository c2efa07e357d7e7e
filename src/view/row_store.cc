#include "view/row_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "io/readers.h"
#include "report/qc_reasons.h"

namespace capsfusion::view {

namespace {

constexpr size_t kBlockBytes = 4 << 20;     // Scan() reads this much at a time
constexpr uint64_t kFacetSampleRows = 2000;  // rows looked at for numeric fields
constexpr size_t kMaxNumericFields = 64;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// pread of exactly `n` bytes at `offset`.
Status ReadAt(int fd, uint64_t offset, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return Status::IOError(r < 0 ? Errno("read failed") : "the input file shrank while being viewed");
    done += static_cast<size_t>(r);
  }
  return Status::OK();
}

Status WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Status::IOError(Errno("cannot write the viewer's spool file"));
    done += static_cast<size_t>(w);
  }
  return Status::OK();
}

// Whether `path` can be read in place: a regular, uncompressed file whose
// content starts (after a byte order mark and whitespace) with '[' or '{'.
bool ReadableInPlace(const std::string& path, Format format) {
  if (path == "-" || format == Format::kCsv || format == Format::kTsv) return false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  char buf[4096];
  ssize_t n = ok ? ::pread(fd, buf, sizeof buf, 0) : -1;
  ::close(fd);
  if (n <= 0) return false;
  std::string_view head(buf, static_cast<size_t>(n));
  const auto u = [&](size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
  if ((u(0) == 0x1f && u(1) == 0x8b) || (u(0) == 0x28 && u(1) == 0xb5 && u(2) == 0x2f && u(3) == 0xfd) ||
      ((u(0) & 0xf0) == 0x50 && u(1) == 0x2a && u(2) == 0x4d && u(3) == 0x18)) {
    return false;  // gzip or zstd
  }
  size_t i = head.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
  return i < head.size() && (head[i] == '[' || head[i] == '{');
}

uint32_t LineOf(const std::string& origin) {
  const size_t colon = origin.rfind(':');
  if (colon == std::string::npos) return 0;
  uint64_t v = 0;
  for (size_t i = colon + 1; i < origin.size() && origin[i] >= '0' && origin[i] <= '9'; ++i) {
    v = std::min<uint64_t>(UINT32_MAX, v * 10 + static_cast<uint64_t>(origin[i] - '0'));
  }
  return static_cast<uint32_t>(v);
}

}  // namespace

// Parses row bytes (one JSON object, possibly after ',', '[' or whitespace).
class RowStore::Parser {
 public:
  explicit Parser(const ReaderOptions& options) : builder_(options) {}
  Status Parse(const File& file, uint64_t index, uint32_t line, std::string_view bytes, Record* record) {
    const size_t brace = bytes.find('{');
    std::string reason;
    if (brace == std::string_view::npos ||
        !io::RecordFromJsonText(bytes.substr(brace), "row", &scanner_, &builder_, record, &reason)) {
      return Status::Corruption(file.path + ": row " + std::to_string(index) +
                                " changed since it was indexed: " + (reason.empty() ? "no object" : reason));
    }
    record->index = index;
    record->origin = (file.path == "-" ? std::string("<stdin>") : file.path) + ":" + std::to_string(line);
    return Status::OK();
  }

 private:
  io::JsonScanner scanner_;
  io::RecordBuilder builder_;
};

RowStore::~RowStore() {
  for (const File& f : files_) {
    if (!f.spooled && f.fd >= 0) ::close(f.fd);
  }
  if (spool_fd_ >= 0) ::close(spool_fd_);
}

StatusOr<std::unique_ptr<RowStore>> RowStore::Build(const std::vector<std::string>& paths,
                                                    const RowStoreOptions& options) {
  std::unique_ptr<RowStore> store(new RowStore());
  store->options_ = options;
  store->inputs_ = paths;
  for (size_t i = 0; i < paths.size(); ++i) CF_RETURN_IF_ERROR(store->Index(i, paths[i]));
  std::sort(store->facets_.numeric_fields.begin(), store->facets_.numeric_fields.end());
  return store;
}

Status RowStore::Index(size_t file_index, const std::string& path) {
  auto reader = RecordReader::Open(path, options_.reader);
  if (!reader.ok()) return reader.status();
  File file;
  file.path = path;
  file.first_row = rows_.size();
  file.spooled = !ReadableInPlace(path, options_.reader.format);
  if (file.spooled) {
    if (spool_fd_ < 0) {
      std::string dir = options_.spool_dir;
      if (dir.empty()) {
        std::error_code ec;
        dir = std::filesystem::temp_directory_path(ec).string();
        if (ec) dir = "/tmp";
      }
      std::string tmpl = dir + "/capsfusion-view-XXXXXX";
      spool_fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
      if (spool_fd_ < 0) return Status::IOError(Errno("cannot create a spool file in " + dir));
      ::unlink(tmpl.c_str());  // gone from the directory; freed when closed
    }
    file.fd = spool_fd_;
  } else {
    file.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file.fd < 0) return Status::IOError(Errno("cannot open " + path));
  }
  files_.push_back(file);

  std::set<std::string> numeric(facets_.numeric_fields.begin(), facets_.numeric_fields.end());
  std::vector<std::string> reasons;
  std::string spool_buffer, line;
  Record rec;
  Reject rej;
  uint64_t previous_end = (*reader)->bytes_read();
  for (;;) {
    const auto result = (*reader)->Next(&rec, &rej);
    if (result == RecordReader::Result::kEnd) break;
    const uint64_t end = (*reader)->bytes_read();
    if (result == RecordReader::Result::kReject) {
      ++facets_.rejected;
      previous_end = end;
      continue;
    }
    Row row;
    row.line = LineOf(rec.origin);
    if (file.spooled) {
      line = "{";
      for (size_t i = 0; i < rec.fields.size(); ++i) {
        if (i) line.push_back(',');
        AppendJsonString(rec.fields[i].name, &line);
        line.push_back(':');
        line += rec.fields[i].json;
      }
      line += "}\n";
      row.offset = spool_size_;
      row.length = static_cast<uint32_t>(line.size());
      spool_size_ += line.size();
      spool_buffer += line;
      if (spool_buffer.size() >= kBlockBytes) {
        CF_RETURN_IF_ERROR(WriteAll(spool_fd_, spool_buffer));
        spool_buffer.clear();
      }
    } else {
      row.offset = previous_end;
      row.length = static_cast<uint32_t>(std::min<uint64_t>(UINT32_MAX, end - previous_end));
    }
    previous_end = end;
    rows_.push_back(row);

    if (!options_.qc_field.empty()) {
      if (const Field* f = rec.Find(options_.qc_field)) {
        ++facets_.qc_rows;
        report::ParseQcReasons(f->json, &reasons);
        if (!reasons.empty()) ++facets_.qc_flagged;
        for (const auto& r : reasons) ++facets_.qc_reasons[r];
      }
    }
    if (rows_.size() - file.first_row <= kFacetSampleRows && numeric.size() < kMaxNumericFields) {
      for (const Field& f : rec.fields) {
        if (f.json.empty() || f.name == options_.reader.fields.id) continue;
        const char c = f.json[0];
        if (c == '-' || (c >= '0' && c <= '9')) {
          numeric.insert(f.name);
        } else if (c == '{') {
          auto obj = nlohmann::json::parse(f.json, nullptr, false);
          if (!obj.is_object()) continue;
          for (auto it = obj.begin(); it != obj.end(); ++it) {
            if (it->is_number()) numeric.insert(f.name + "." + it.key());
          }
        }
      }
    }
    if (options_.progress && (rows_.size() & 0xFFFF) == 0) options_.progress(rows_.size());
  }
  if (!spool_buffer.empty()) CF_RETURN_IF_ERROR(WriteAll(spool_fd_, spool_buffer));
  if (!(*reader)->status().ok()) return (*reader)->status();
  facets_.numeric_fields.assign(numeric.begin(), numeric.end());
  return Status::OK();
}

size_t RowStore::FileOf(uint64_t index) const {
  size_t f = files_.size() - 1;
  while (f > 0 && files_[f].first_row > index) --f;
  return f;
}

Status RowStore::Read(uint64_t index, Record* record) const {
  if (index >= rows_.size()) return Status::OutOfRange("row " + std::to_string(index) + " does not exist");
  const File& file = files_[FileOf(index)];
  const Row& row = rows_[index];
  std::string bytes;
  CF_RETURN_IF_ERROR(ReadAt(file.fd, row.offset, row.length, &bytes));
  Parser parser(options_.reader);
  return parser.Parse(file, index, row.line, bytes, record);
}

Status RowStore::Scan(uint64_t first, const std::function<bool(uint64_t, const Record&)>& fn) const {
  Parser parser(options_.reader);
  std::string block;
  Record record;
  uint64_t i = first;
  while (i < rows_.size()) {
    const size_t f = FileOf(i);
    const File& file = files_[f];
    const uint64_t file_end = f + 1 < files_.size() ? files_[f + 1].first_row : rows_.size();
    // Rows i..j-1 of this file, contiguous and together under kBlockBytes (at least one).
    const uint64_t start = rows_[i].offset;
    uint64_t j = i + 1;
    while (j < file_end && rows_[j].offset == rows_[j - 1].offset + rows_[j - 1].length &&
           rows_[j].offset + rows_[j].length - start <= kBlockBytes) {
      ++j;
    }
    const Row& last = rows_[j - 1];
    CF_RETURN_IF_ERROR(ReadAt(file.fd, start, last.offset + last.length - start, &block));
    for (uint64_t k = i; k < j; ++k) {
      std::string_view bytes(block.data() + (rows_[k].offset - start), rows_[k].length);
      CF_RETURN_IF_ERROR(parser.Parse(file, k, rows_[k].line, bytes, &record));
      if (!fn(k, record)) return Status::OK();
    }
    i = j;
  }
  return Status::OK();
}

}  // namespace capsfusion::view
