#include "parquet/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "parquet/bit_util.h"

namespace capsfusion::parquet {

namespace {
constexpr char kMagic[] = "PAR1";
}

ParquetFile::~ParquetFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status ParquetFile::ReadAt(int64_t offset, size_t n, std::string* out) const {
  if (offset < 0 || offset > size_ || n > static_cast<uint64_t>(size_ - offset)) {
    return Status::Corruption(path_ + ": read of " + std::to_string(n) + " bytes at " + std::to_string(offset) +
                              " is past the end of the file (" + std::to_string(size_) + " bytes)");
  }
  if (fd_ < 0) {
    out->assign(bytes_, static_cast<size_t>(offset), n);
    bytes_read_ += n;
    return Status::OK();
  }
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset) + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::IOError(path_ + ": read failed: " + std::strerror(errno));
    if (r == 0) return Status::IOError(path_ + ": file shrank while reading");
    done += static_cast<size_t>(r);
  }
  bytes_read_ += n;
  return Status::OK();
}

StatusOr<std::unique_ptr<ParquetFile>> ParquetFile::Open(const std::string& path) {
  std::unique_ptr<ParquetFile> f(new ParquetFile());
  f->path_ = path;
  f->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f->fd_ < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(f->fd_, &st) != 0) return Status::IOError("cannot stat " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + ": Parquet input must be a regular file");
  f->size_ = st.st_size;
  CF_RETURN_IF_ERROR(f->ReadFooter());
  return f;
}

StatusOr<std::unique_ptr<ParquetFile>> ParquetFile::FromBytes(std::string bytes, const std::string& name) {
  std::unique_ptr<ParquetFile> f(new ParquetFile());
  f->path_ = name;
  f->bytes_ = std::move(bytes);
  f->size_ = static_cast<int64_t>(f->bytes_.size());
  CF_RETURN_IF_ERROR(f->ReadFooter());
  return f;
}

Status ParquetFile::ReadFooter() {
  ParquetFile* f = this;
  const std::string& path = path_;
  if (f->size_ < 12) return Status::Corruption(path + ": too short for a Parquet file (" + std::to_string(f->size_) + " bytes)");
  std::string head, tail;
  CF_RETURN_IF_ERROR(f->ReadAt(0, 4, &head));
  CF_RETURN_IF_ERROR(f->ReadAt(f->size_ - 8, 8, &tail));
  if (head != kMagic) return Status::Corruption(path + ": not a Parquet file (no PAR1 magic at the start)");
  if (tail.compare(4, 4, "PARE") == 0) return Status::NotSupported(path + ": encrypted Parquet files are not supported");
  if (tail.compare(4, 4, kMagic) != 0) {
    return Status::Corruption(path + ": no PAR1 magic at the end (truncated or not Parquet)");
  }
  const uint32_t footer_len = LoadU32(reinterpret_cast<const uint8_t*>(tail.data()));
  if (footer_len == 0 || footer_len > static_cast<uint64_t>(f->size_ - 12)) {
    return Status::Corruption(path + ": footer length " + std::to_string(footer_len) + " does not fit the file (" +
                              std::to_string(f->size_) + " bytes)");
  }
  f->data_end_ = f->size_ - 8 - footer_len;
  std::string footer;
  CF_RETURN_IF_ERROR(f->ReadAt(f->data_end_, footer_len, &footer));
  Status s = ParseFileMetaData(reinterpret_cast<const uint8_t*>(footer.data()), footer.size(), &f->meta_);
  if (!s.ok()) return s.WithContext(path);
  if (f->meta_.encrypted) return Status::NotSupported(path + ": encrypted Parquet files are not supported");
  auto schema = BuildSchema(f->meta_);
  if (!schema.ok()) return schema.status().WithContext(path);
  f->schema_ = std::move(*schema);
  return Status::OK();
}

Status ParquetFile::ChunkRange(int g, int leaf, int64_t* start, int64_t* length) const {
  const ColumnChunk& c = meta_.row_groups[static_cast<size_t>(g)].columns[static_cast<size_t>(leaf)];
  const std::string where = path_ + ": row group " + std::to_string(g) + ", column chunk " + std::to_string(leaf);
  if (!c.file_path.empty()) return Status::NotSupported(where + ": data in another file (" + c.file_path + ")");
  if (!c.has_meta_data) return Status::Corruption(where + ": no column metadata");
  const ColumnMetaData& m = c.meta_data;
  int64_t s = m.data_page_offset;
  if (m.has_dictionary_page_offset && m.dictionary_page_offset > 0 && m.dictionary_page_offset < s) {
    s = m.dictionary_page_offset;
  }
  const int64_t n = m.total_compressed_size;
  if (s < 4 || n <= 0 || s >= data_end_ || n > data_end_ - s) {
    return Status::Corruption(where + ": byte range " + std::to_string(s) + "+" + std::to_string(n) +
                              " is outside the data (" + std::to_string(data_end_) + " bytes before the footer)");
  }
  *start = s;
  *length = n;
  return Status::OK();
}

Status ParquetFile::CheckRowGroup(int g) const {
  const RowGroup& rg = meta_.row_groups[static_cast<size_t>(g)];
  const std::string where = path_ + ": row group " + std::to_string(g);
  if (rg.columns.size() != static_cast<size_t>(schema_.num_leaves)) {
    return Status::Corruption(where + " has " + std::to_string(rg.columns.size()) + " column chunks, the schema " +
                              std::to_string(schema_.num_leaves) + " columns");
  }
  if (rg.num_rows < 0) return Status::Corruption(where + ": negative row count");
  for (const ColumnDescriptor& col : schema_.columns) {
    if (col.leaf < 0) continue;
    const ColumnChunk& c = rg.columns[static_cast<size_t>(col.leaf)];
    if (c.has_meta_data && c.meta_data.type != col.physical_type) {
      return Status::Corruption(where + ", column " + col.name + ": chunk type " + PhysicalTypeName(c.meta_data.type) +
                                " differs from the schema's " + PhysicalTypeName(col.physical_type));
    }
  }
  return Status::OK();
}

Status ParquetFile::ReadChunk(int g, int leaf, std::string* out) const {
  int64_t start, length;
  CF_RETURN_IF_ERROR(ChunkRange(g, leaf, &start, &length));
  return ReadAt(start, static_cast<size_t>(length), out);
}

}  // namespace capsfusion::parquet
