#include "io/input_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

namespace capsfusion::io {

namespace {

constexpr size_t kInputChunk = 1 << 18;

// Raw bytes from a file descriptor, with the first bytes kept for sniffing.
class RawFile {
 public:
  RawFile(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~RawFile() {
    if (owned_ && fd_ >= 0) close(fd_);
  }

  // Reads up to n bytes; 0 at end of file or on error (see status).
  size_t Read(char* buf, size_t n, Status* status, const std::string& name) {
    for (;;) {
      ssize_t got = ::read(fd_, buf, n);
      if (got >= 0) {
        offset_ += static_cast<uint64_t>(got);
        return static_cast<size_t>(got);
      }
      if (errno == EINTR) continue;
      *status = Status::IOError("read " + name + " at byte " + std::to_string(offset_) + ": " +
                                std::strerror(errno));
      return 0;
    }
  }

  // Reads until n bytes or the end of the file.
  size_t ReadFull(char* buf, size_t n, Status* status, const std::string& name) {
    size_t total = 0;
    while (total < n) {
      size_t got = Read(buf + total, n - total, status, name);
      if (got == 0) break;
      total += got;
    }
    return total;
  }

  uint64_t offset() const { return offset_; }

 private:
  int fd_;
  bool owned_;
  uint64_t offset_ = 0;
};

class InputStreamBase : public InputStream {
 public:
  InputStreamBase(std::unique_ptr<RawFile> file, std::string name, std::vector<char> head)
      : file_(std::move(file)), head_(std::move(head)) {
    name_ = std::move(name);
  }
  const Status& status() const override { return status_; }

 protected:
  // Next raw bytes (the sniffed head first) into in_; false at end or error.
  bool RefillInput() {
    in_pos_ = 0;
    if (head_pos_ < head_.size()) {
      in_.assign(head_.begin() + static_cast<ptrdiff_t>(head_pos_), head_.end());
      in_consumed_before_ = head_pos_;
      head_pos_ = head_.size();
      return !in_.empty();
    }
    in_consumed_before_ = file_->offset();
    in_.resize(kInputChunk);
    size_t got = file_->Read(in_.data(), in_.size(), &status_, name_);
    in_.resize(got);
    return got > 0;
  }
  // Compressed byte offset of in_[pos].
  uint64_t RawOffset(size_t pos) const { return in_consumed_before_ + pos; }

  std::unique_ptr<RawFile> file_;
  std::vector<char> head_;
  size_t head_pos_ = 0;
  std::vector<char> in_;
  size_t in_pos_ = 0;
  uint64_t in_consumed_before_ = 0;
  Status status_;
};

class PlainInput : public InputStreamBase {
 public:
  using InputStreamBase::InputStreamBase;
  Compression compression() const override { return Compression::kNone; }
  size_t Read(char* buf, size_t n) override {
    if (!status_.ok() || n == 0) return 0;
    size_t total = 0;
    if (head_pos_ < head_.size()) {
      size_t k = std::min(n, head_.size() - head_pos_);
      std::memcpy(buf, head_.data() + head_pos_, k);
      head_pos_ += k;
      total += k;
    }
    if (total < n) total += file_->ReadFull(buf + total, n - total, &status_, name_);
    return total;  // bytes decoded before an error still count; the next call returns 0
  }
};

class GzipInput : public InputStreamBase {
 public:
  GzipInput(std::unique_ptr<RawFile> file, std::string name, std::vector<char> head)
      : InputStreamBase(std::move(file), std::move(name), std::move(head)) {
    std::memset(&z_, 0, sizeof z_);
    if (inflateInit2(&z_, 15 + 16) != Z_OK) status_ = Status::Internal("inflateInit2 failed");
    initialised_ = status_.ok();
  }
  ~GzipInput() override {
    if (initialised_) inflateEnd(&z_);
  }
  Compression compression() const override { return Compression::kGzip; }

  size_t Read(char* buf, size_t n) override {
    size_t total = 0;
    if (!status_.ok()) return 0;
    while (total < n && status_.ok() && !done_) {
      if (in_pos_ >= in_.size()) {
        if (!RefillInput()) {
          if (!status_.ok()) break;
          if (member_started_) {
            status_ = Status::Corruption(name_ + ": truncated gzip stream: input ends at compressed byte " +
                                         std::to_string(RawOffset(in_pos_)) + " inside a gzip member");
          }
          done_ = true;
          break;
        }
      }
      if (!member_started_) {
        // A new member must start with the gzip magic (1f 8b).
        if (static_cast<unsigned char>(in_[in_pos_]) != 0x1f) {
          status_ = Status::Corruption(name_ + ": unexpected data after the gzip stream at compressed byte " +
                                       std::to_string(RawOffset(in_pos_)));
          break;
        }
        member_started_ = true;
      }
      z_.next_in = reinterpret_cast<Bytef*>(in_.data() + in_pos_);
      z_.avail_in = static_cast<uInt>(in_.size() - in_pos_);
      z_.next_out = reinterpret_cast<Bytef*>(buf + total);
      z_.avail_out = static_cast<uInt>(std::min<size_t>(n - total, 1u << 30));
      int rc = inflate(&z_, Z_NO_FLUSH);
      size_t used = (in_.size() - in_pos_) - z_.avail_in;
      size_t produced = static_cast<size_t>(reinterpret_cast<char*>(z_.next_out) - (buf + total));
      total += produced;
      if (rc == Z_STREAM_END) {
        in_pos_ += used;
        inflateReset(&z_);
        member_started_ = false;
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        status_ = Status::Corruption(name_ + ": corrupt gzip stream near compressed byte " +
                                     std::to_string(RawOffset(in_pos_ + used)) + ": " +
                                     (z_.msg != nullptr ? z_.msg : "inflate failed"));
        break;
      }
      in_pos_ += used;
    }
    return total;  // bytes decoded before an error still count; the next call returns 0
  }

 private:
  z_stream z_;
  bool initialised_ = false;
  bool member_started_ = false;
  bool done_ = false;
};

class ZstdInput : public InputStreamBase {
 public:
  ZstdInput(std::unique_ptr<RawFile> file, std::string name, std::vector<char> head)
      : InputStreamBase(std::move(file), std::move(name), std::move(head)), dctx_(ZSTD_createDCtx()) {
    if (dctx_ == nullptr) status_ = Status::Internal("ZSTD_createDCtx failed");
  }
  ~ZstdInput() override { ZSTD_freeDCtx(dctx_); }
  Compression compression() const override { return Compression::kZstd; }

  size_t Read(char* buf, size_t n) override {
    size_t total = 0;
    if (!status_.ok()) return 0;
    while (total < n && status_.ok() && !done_) {
      if (in_pos_ >= in_.size() && !pending_output_) {
        if (!RefillInput()) {
          if (!status_.ok()) break;
          if (frame_open_) {
            status_ = Status::Corruption(name_ + ": truncated zstd stream: input ends at compressed byte " +
                                         std::to_string(RawOffset(in_pos_)) + " inside a frame");
          }
          done_ = true;
          break;
        }
      }
      ZSTD_inBuffer in{in_.data(), in_.size(), in_pos_};
      ZSTD_outBuffer out{buf + total, n - total, 0};
      size_t rc = ZSTD_decompressStream(dctx_, &out, &in);
      if (ZSTD_isError(rc)) {
        status_ = Status::Corruption(name_ + ": corrupt zstd stream near compressed byte " +
                                     std::to_string(RawOffset(in.pos)) + ": " + ZSTD_getErrorName(rc));
        break;
      }
      in_pos_ = in.pos;
      total += out.pos;
      frame_open_ = rc != 0;
      // The decoder may hold more output than fit: call again before reading input.
      pending_output_ = out.pos == out.size && frame_open_;
    }
    return total;  // bytes decoded before an error still count; the next call returns 0
  }

 private:
  ZSTD_DCtx* dctx_;
  bool frame_open_ = false;
  bool pending_output_ = false;
  bool done_ = false;
};

}  // namespace

const char* CompressionName(InputStream::Compression c) {
  switch (c) {
    case InputStream::Compression::kNone: return "none";
    case InputStream::Compression::kGzip: return "gzip";
    case InputStream::Compression::kZstd: return "zstd";
  }
  return "none";
}

StatusOr<std::unique_ptr<InputStream>> InputStream::Open(const std::string& path) {
  std::unique_ptr<RawFile> file;
  std::string name = path;
  if (path == "-") {
    name = "<stdin>";
    file = std::make_unique<RawFile>(STDIN_FILENO, false);
  } else {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      int err = errno;
      std::string msg = "cannot open " + path + ": " + std::strerror(err);
      return err == ENOENT ? Status::NotFound(msg) : Status::IOError(msg);
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      close(fd);
      return Status::InvalidArgument("cannot read " + path + ": it is a directory");
    }
    file = std::make_unique<RawFile>(fd, true);
  }
  // The magic numbers decide, not the name.
  Status status;
  std::vector<char> head(6);
  head.resize(file->ReadFull(head.data(), head.size(), &status, name));
  if (!status.ok()) return status;
  auto byte = [&](size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0u; };
  std::unique_ptr<InputStream> in;
  if (byte(0) == 0x1f && byte(1) == 0x8b) {
    in = std::make_unique<GzipInput>(std::move(file), name, std::move(head));
  } else if ((byte(0) == 0x28 && byte(1) == 0xb5 && byte(2) == 0x2f && byte(3) == 0xfd) ||
             ((byte(0) & 0xf0) == 0x50 && byte(1) == 0x2a && byte(2) == 0x4d && byte(3) == 0x18)) {
    // A zstd frame, or a zstd skippable frame (magic 0x184D2A5?).
    in = std::make_unique<ZstdInput>(std::move(file), name, std::move(head));
  } else if (byte(0) == 0xfd && byte(1) == '7' && byte(2) == 'z' && byte(3) == 'X' && byte(4) == 'Z' &&
             byte(5) == 0) {
    return Status::NotSupported(name + " is xz-compressed; only gzip and zstd are read (decompress it first)");
  } else if (byte(0) == 'B' && byte(1) == 'Z' && byte(2) == 'h' && byte(3) >= '1' && byte(3) <= '9' &&
             byte(4) == 0x31 && byte(5) == 0x41) {
    return Status::NotSupported(name + " is bzip2-compressed; only gzip and zstd are read (decompress it first)");
  } else {
    in = std::make_unique<PlainInput>(std::move(file), name, std::move(head));
  }
  if (!in->status().ok()) return in->status();
  return in;
}

}  // namespace capsfusion::io
