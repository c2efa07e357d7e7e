#include "io/output_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <vector>

namespace capsfusion::io {

namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Writes to a descriptor with SIGPIPE blocked for the calling thread, so that
// a closed pipe shows up as EPIPE instead of ending the process.
class Sink {
 public:
  Sink(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~Sink() { Close(); }

  Status Write(const char* data, size_t n) {
    if (n == 0) return Status::OK();
    if (fd_ < 0) return Status::IOError("write " + name_ + ": already closed");
    sigset_t pipe_set, old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    int err = 0;
    while (n > 0) {
      ssize_t put = ::write(fd_, data, n);
      if (put < 0) {
        if (errno == EINTR) continue;
        err = errno;
        break;
      }
      data += put;
      n -= static_cast<size_t>(put);
    }
    if (err == EPIPE && !sigismember(&old_set, SIGPIPE)) {
      // Take the pending SIGPIPE our write raised before unblocking it.
      struct timespec zero = {0, 0};
      sigtimedwait(&pipe_set, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    if (err != 0) return Status::IOError("write " + name_ + ": " + std::strerror(err));
    return Status::OK();
  }

  Status Close() {
    if (fd_ < 0 || !owned_) {
      fd_ = -1;
      return Status::OK();
    }
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && errno != EINTR) return Status::IOError("close " + name_ + ": " + std::strerror(errno));
    return Status::OK();
  }

 private:
  int fd_;
  bool owned_;
  std::string name_;
};

class PlainOutput : public OutputStream {
 public:
  PlainOutput(std::unique_ptr<Sink> sink, std::string name) : sink_(std::move(sink)) { name_ = std::move(name); }
  ~PlainOutput() override { Close(); }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    Status s = Flush();
    Status c = sink_->Close();
    if (status_.ok() && !c.ok()) status_ = c;
    return status_;
  }

 protected:
  Status Flush() override {
    if (status_.ok()) status_ = sink_->Write(buf_.data(), buf_.size());
    buf_.clear();
    return status_;
  }

 private:
  std::unique_ptr<Sink> sink_;
  bool closed_ = false;
};

class GzipOutput : public OutputStream {
 public:
  GzipOutput(std::unique_ptr<Sink> sink, std::string name) : sink_(std::move(sink)), out_(1 << 18) {
    name_ = std::move(name);
    std::memset(&z_, 0, sizeof z_);
    if (deflateInit2(&z_, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      status_ = Status::Internal("deflateInit2 failed");
    } else {
      initialised_ = true;
    }
  }
  ~GzipOutput() override {
    Close();
    if (initialised_) deflateEnd(&z_);
  }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    Deflate(Z_FINISH);
    Status c = sink_->Close();
    if (status_.ok() && !c.ok()) status_ = c;
    return status_;
  }

 protected:
  Status Flush() override { return Deflate(Z_NO_FLUSH); }

 private:
  Status Deflate(int flush) {
    if (status_.ok()) {
      z_.next_in = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_in = static_cast<uInt>(buf_.size());
      for (;;) {
        z_.next_out = reinterpret_cast<Bytef*>(out_.data());
        z_.avail_out = static_cast<uInt>(out_.size());
        int rc = deflate(&z_, flush);
        if (rc == Z_STREAM_ERROR) {
          status_ = Status::Internal("deflate failed for " + name_);
          break;
        }
        status_ = sink_->Write(out_.data(), out_.size() - z_.avail_out);
        if (!status_.ok()) break;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : (z_.avail_in == 0 && z_.avail_out != 0)) break;
      }
    }
    buf_.clear();
    return status_;
  }

  std::unique_ptr<Sink> sink_;
  std::vector<char> out_;
  z_stream z_;
  bool initialised_ = false;
  bool closed_ = false;
};

class ZstdOutput : public OutputStream {
 public:
  ZstdOutput(std::unique_ptr<Sink> sink, std::string name)
      : sink_(std::move(sink)), out_(ZSTD_CStreamOutSize()), cctx_(ZSTD_createCCtx()) {
    name_ = std::move(name);
    if (cctx_ == nullptr) {
      status_ = Status::Internal("ZSTD_createCCtx failed");
    } else {
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, 3);
    }
  }
  ~ZstdOutput() override {
    Close();
    ZSTD_freeCCtx(cctx_);
  }

  Status Close() override {
    if (closed_) return status_;
    closed_ = true;
    Compress(ZSTD_e_end);
    Status c = sink_->Close();
    if (status_.ok() && !c.ok()) status_ = c;
    return status_;
  }

 protected:
  Status Flush() override { return Compress(ZSTD_e_continue); }

 private:
  Status Compress(ZSTD_EndDirective mode) {
    if (status_.ok()) {
      ZSTD_inBuffer in{buf_.data(), buf_.size(), 0};
      for (;;) {
        ZSTD_outBuffer out{out_.data(), out_.size(), 0};
        size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
        if (ZSTD_isError(left)) {
          status_ = Status::Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(left));
          break;
        }
        status_ = sink_->Write(out_.data(), out.pos);
        if (!status_.ok()) break;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
      }
    }
    buf_.clear();
    return status_;
  }

  std::unique_ptr<Sink> sink_;
  std::vector<char> out_;
  ZSTD_CCtx* cctx_;
  bool closed_ = false;
};

}  // namespace

StatusOr<std::unique_ptr<OutputStream>> OutputStream::Open(const std::string& path) {
  std::unique_ptr<Sink> sink;
  std::string name = path;
  if (path == "-") {
    name = "<stdout>";
    sink = std::make_unique<Sink>(STDOUT_FILENO, false, name);
  } else {
    int fd;
    do {
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
    sink = std::make_unique<Sink>(fd, true, name);
  }
  std::unique_ptr<OutputStream> out;
  if (EndsWith(path, ".gz")) {
    out = std::make_unique<GzipOutput>(std::move(sink), name);
  } else if (EndsWith(path, ".zst")) {
    out = std::make_unique<ZstdOutput>(std::move(sink), name);
  } else {
    out = std::make_unique<PlainOutput>(std::move(sink), name);
  }
  out->buffer()->reserve(kFlushBytes + (1 << 16));
  return out;
}

}  // namespace capsfusion::io
