// GgufWriter: building GGUF v3 files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "gguf/gguf.h"
#include "gguf/quote.h"
#include "gguf/utf8_check.h"

namespace capsfusion::gguf {

namespace {

void AppendLe(std::string* out, uint64_t v, size_t n) {
  for (size_t k = 0; k < n; ++k) out->push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

void AppendString(std::string* out, std::string_view s) {
  AppendLe(out, s.size(), 8);
  out->append(s.data(), s.size());
}

uint64_t PadTo(uint64_t n, uint64_t a) { return (a - n % a) % a; }

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " " + path + ": " + std::strerror(errno));
}

//! Writes all of `n` bytes, retrying short writes and EINTR.
bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

void GgufWriter::Set(std::string key, Value v) {
  if (key.empty()) return Fail(Status::InvalidArgument("metadata key is empty"));
  if (key.size() > kMaxKeyBytes) {
    return Fail(Status::InvalidArgument("metadata key " + QuoteForError(key) + " is " + std::to_string(key.size()) +
                                        " bytes; the limit is " + std::to_string(kMaxKeyBytes)));
  }
  if (!IsValidUtf8(key) || key.find('\0') != std::string::npos) {
    return Fail(Status::InvalidArgument("metadata key " + QuoteForError(key) + " is not valid UTF-8 without NUL"));
  }
  if (key == kAlignmentKey) {
    uint64_t a = 0;
    if (v.type() != ValueType::kUint32 || !v.AsUint64(&a)) {
      return Fail(Status::InvalidArgument(std::string(kAlignmentKey) + " must be UINT32, not " +
                                          ValueTypeName(v.type())));
    }
    return SetAlignment(static_cast<uint32_t>(a));
  }
  auto it = kv_index_.find(key);
  if (it != kv_index_.end()) {
    kvs_[it->second].second = std::move(v);
    return;
  }
  kv_index_.emplace(key, kvs_.size());
  kvs_.emplace_back(std::move(key), std::move(v));
}

void GgufWriter::SetAlignment(uint32_t a) {
  if (a == 0 || (a & (a - 1)) != 0 || a > kMaxAlignment) {
    return Fail(Status::InvalidArgument("alignment " + std::to_string(a) + " is not a power of two up to " +
                                        std::to_string(kMaxAlignment)));
  }
  alignment_ = a;
}

Status GgufWriter::AddTensor(std::string name, TensorType type, std::vector<uint64_t> shape, const void* data,
                             size_t n_bytes) {
  const std::string where = "tensor " + QuoteForError(name);
  if (name.empty()) return Status::InvalidArgument("tensor name is empty");
  if (name.size() > kMaxTensorNameBytes) {
    return Status::InvalidArgument(where + ": name of " + std::to_string(name.size()) + " bytes; the limit is " +
                                   std::to_string(kMaxTensorNameBytes));
  }
  if (!IsValidUtf8(name) || name.find('\0') != std::string::npos) {
    return Status::InvalidArgument(where + ": name is not valid UTF-8 without NUL");
  }
  if (tensor_index_.count(name) != 0) return Status::InvalidArgument(where + ": duplicate tensor name");
  if (!IsSupportedTensorType(static_cast<uint32_t>(type))) {
    return Status::InvalidArgument(where + ": unsupported tensor type id " +
                                   std::to_string(static_cast<uint32_t>(type)));
  }
  if (shape.empty() || shape.size() > kMaxTensorDims) {
    return Status::InvalidArgument(where + ": " + std::to_string(shape.size()) + " dims; 1.." +
                                   std::to_string(kMaxTensorDims) + " are allowed");
  }
  constexpr uint64_t kMaxElements = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t n_elements = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return Status::InvalidArgument(where + ": dimension " + std::to_string(d) + " is 0");
    if (shape[d] > kMaxElements / n_elements) {
      return Status::InvalidArgument(where + ": element count overflows int64");
    }
    n_elements *= shape[d];
  }
  StatusOr<size_t> row = RowBytes(type, static_cast<int64_t>(shape[0]));
  if (!row.ok()) return row.status().WithContext(where);
  const uint64_t rows = n_elements / shape[0];
  if (*row != 0 && rows > std::numeric_limits<uint64_t>::max() / *row) {
    return Status::InvalidArgument(where + ": byte size overflows");
  }
  const uint64_t expected = rows * *row;
  if (expected != n_bytes) {
    return Status::InvalidArgument(where + ": " + std::to_string(n_bytes) + " bytes given but a " +
                                   TensorTypeName(type) + " tensor of " + std::to_string(n_elements) +
                                   " elements takes " + std::to_string(expected));
  }
  if (data == nullptr && n_bytes > 0) return Status::InvalidArgument(where + ": data is null");
  PendingTensor t;
  t.name = std::move(name);
  t.type = type;
  t.shape = std::move(shape);
  t.bytes.assign(static_cast<const char*>(data), n_bytes);
  tensor_index_.emplace(t.name, tensors_.size());
  tensors_.push_back(std::move(t));
  return Status::OK();
}

std::string GgufWriter::EncodeHeader() const {
  const bool write_alignment = alignment_ != kDefaultAlignment;
  std::string out;
  AppendLe(&out, kGgufMagic, 4);
  AppendLe(&out, kGgufVersion, 4);
  AppendLe(&out, tensors_.size(), 8);
  AppendLe(&out, kvs_.size() + (write_alignment ? 1 : 0), 8);
  for (const auto& kv : kvs_) {
    AppendString(&out, kv.first);
    AppendLe(&out, static_cast<uint32_t>(kv.second.type()), 4);
    kv.second.AppendEncoded(&out);
  }
  if (write_alignment) {
    AppendString(&out, kAlignmentKey);
    AppendLe(&out, static_cast<uint32_t>(ValueType::kUint32), 4);
    AppendLe(&out, alignment_, 4);
  }
  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    AppendString(&out, t.name);
    AppendLe(&out, t.shape.size(), 4);
    for (uint64_t d : t.shape) AppendLe(&out, d, 8);
    AppendLe(&out, static_cast<uint32_t>(t.type), 4);
    AppendLe(&out, offset, 8);
    offset += t.bytes.size() + PadTo(t.bytes.size(), alignment_);
  }
  out.append(PadTo(out.size(), alignment_), '\0');
  return out;
}

std::string GgufWriter::WriteToString() const {
  if (!status_.ok()) return "";
  std::string out = EncodeHeader();
  for (const PendingTensor& t : tensors_) {
    out.append(t.bytes);
    out.append(PadTo(t.bytes.size(), alignment_), '\0');
  }
  return out;
}

Status GgufWriter::WriteFile(const std::string& path) const {
  if (!status_.ok()) return status_.WithContext("cannot write " + path);
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Errno("cannot create a temporary file next to", path);
  auto fail = [&](Status s) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(fd, 0644) != 0) return fail(Errno("cannot chmod", tmp));
  const std::string header = EncodeHeader();
  if (!WriteAll(fd, header.data(), header.size())) return fail(Errno("cannot write", tmp));
  const std::string zeros(alignment_, '\0');
  for (const PendingTensor& t : tensors_) {
    if (!WriteAll(fd, t.bytes.data(), t.bytes.size()) ||
        !WriteAll(fd, zeros.data(), PadTo(t.bytes.size(), alignment_))) {
      return fail(Errno("cannot write", tmp));
    }
  }
  if (::fsync(fd) != 0) return fail(Errno("cannot fsync", tmp));
  if (::close(fd) != 0) {
    Status s = Errno("cannot close", tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Errno("cannot rename " + tmp + " to", path);
    ::unlink(tmp.c_str());
    return s;
  }
  // Make the rename itself durable (best effort: some file systems refuse fsync on a directory).
  int dir = ::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::OK();
}

}  // namespace capsfusion::gguf
