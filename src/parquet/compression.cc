#include "parquet/compression.h"

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>

#include "parquet/metadata.h"

namespace capsfusion::parquet {

namespace {

// The most output `size` input bytes can make for each codec, with slack:
// deflate 1032:1, snappy 64 bytes per 2-byte copy, LZ4 about 255:1, zstd an
// RLE block of 128 KiB per 4 bytes.
uint64_t MaxExpansion(int32_t codec, uint64_t size) {
  switch (codec) {
    case kUncompressed: return size;
    case kSnappy: return size * 32 + 64;
    case kGzip: return size * 1032 + 1024;
    case kLz4Raw: return size * 256 + 256;
    case kZstd: return size * 32768 + (1 << 20);
  }
  return 0;
}

Status Inflate(const uint8_t* data, size_t size, std::string* out) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  if (inflateInit2(&z, 15 + 32) != Z_OK) return Status::Internal("inflateInit2 failed");
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out->data());
  z.avail_out = static_cast<uInt>(out->size());
  for (;;) {
    int rc = inflate(&z, Z_FINISH);
    if (rc == Z_STREAM_END) {
      // Concatenated gzip members continue in the same page.
      if (z.avail_in > 0 && z.avail_out > 0) {
        if (inflateReset(&z) != Z_OK) break;
        continue;
      }
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      std::string msg = z.msg ? z.msg : "error " + std::to_string(rc);
      inflateEnd(&z);
      return Status::Corruption("corrupt GZIP page: " + msg);
    }
    if (rc == Z_BUF_ERROR || z.avail_out == 0) {
      inflateEnd(&z);
      return Status::Corruption("corrupt GZIP page: output does not match the page size");
    }
  }
  size_t produced = out->size() - z.avail_out;
  inflateEnd(&z);
  if (produced != out->size()) return Status::Corruption("corrupt GZIP page: output does not match the page size");
  return Status::OK();
}

}  // namespace

Status Decompress(int32_t codec, const uint8_t* data, size_t size, size_t expected, std::string* out) {
  if (codec != kUncompressed && codec != kSnappy && codec != kGzip && codec != kZstd && codec != kLz4Raw) {
    return Status::NotSupported(std::string("compression ") + CodecName(codec) + " is not supported");
  }
  if (expected > MaxExpansion(codec, size) || expected > (size_t{1} << 31)) {
    return Status::Corruption("page claims " + std::to_string(expected) + " bytes uncompressed from " +
                              std::to_string(size) + " " + CodecName(codec) + " bytes");
  }
  out->resize(expected);
  if (expected == 0) return Status::OK();  // e.g. the empty values of an all-null v2 page
  char* dst = out->data();
  switch (codec) {
    case kUncompressed:
      if (size != expected) return Status::Corruption("uncompressed page with two different sizes");
      if (size) std::memcpy(dst, data, size);
      return Status::OK();
    case kSnappy: {
      size_t n = 0;
      const char* src = reinterpret_cast<const char*>(data);
      if (snappy_uncompressed_length(src, size, &n) != SNAPPY_OK || n != expected) {
        return Status::Corruption("corrupt SNAPPY page: bad length header");
      }
      if (snappy_validate_compressed_buffer(src, size) != SNAPPY_OK ||
          snappy_uncompress(src, size, dst, &n) != SNAPPY_OK || n != expected) {
        return Status::Corruption("corrupt SNAPPY page");
      }
      return Status::OK();
    }
    case kGzip:
      return Inflate(data, size, out);
    case kZstd: {
      size_t n = ZSTD_decompress(dst, expected, data, size);
      if (ZSTD_isError(n)) return Status::Corruption(std::string("corrupt ZSTD page: ") + ZSTD_getErrorName(n));
      if (n != expected) return Status::Corruption("corrupt ZSTD page: output does not match the page size");
      return Status::OK();
    }
    case kLz4Raw: {
      if (size > INT32_MAX) return Status::Corruption("LZ4_RAW page too large");
      int n = LZ4_decompress_safe(reinterpret_cast<const char*>(data), dst, static_cast<int>(size),
                                  static_cast<int>(expected));
      if (n < 0 || static_cast<size_t>(n) != expected) return Status::Corruption("corrupt LZ4_RAW page");
      return Status::OK();
    }
  }
  return Status::Internal("unreachable codec");
}

Status Compress(int32_t codec, int level, const uint8_t* data, size_t size, std::string* out) {
  switch (codec) {
    case kUncompressed:
      out->assign(reinterpret_cast<const char*>(data), size);
      return Status::OK();
    case kSnappy: {
      size_t n = snappy_max_compressed_length(size);
      out->resize(n);
      if (snappy_compress(reinterpret_cast<const char*>(data), size, out->data(), &n) != SNAPPY_OK) {
        return Status::Internal("snappy_compress failed");
      }
      out->resize(n);
      return Status::OK();
    }
    case kZstd: {
      size_t n = ZSTD_compressBound(size);
      out->resize(n);
      n = ZSTD_compress(out->data(), n, data, size, level);
      if (ZSTD_isError(n)) return Status::Internal(std::string("ZSTD_compress: ") + ZSTD_getErrorName(n));
      out->resize(n);
      return Status::OK();
    }
    case kGzip: {
      z_stream z;
      std::memset(&z, 0, sizeof(z));
      if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return Status::Internal("deflateInit2 failed");
      }
      out->resize(deflateBound(&z, size) + 32);
      z.next_in = const_cast<Bytef*>(data);
      z.avail_in = static_cast<uInt>(size);
      z.next_out = reinterpret_cast<Bytef*>(out->data());
      z.avail_out = static_cast<uInt>(out->size());
      int rc = deflate(&z, Z_FINISH);
      size_t n = out->size() - z.avail_out;
      deflateEnd(&z);
      if (rc != Z_STREAM_END) return Status::Internal("deflate failed");
      out->resize(n);
      return Status::OK();
    }
    case kLz4Raw: {
      if (size > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) return Status::OutOfRange("page too large for LZ4");
      out->resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(size))));
      int n = LZ4_compress_default(reinterpret_cast<const char*>(data), out->data(), static_cast<int>(size),
                                   static_cast<int>(out->size()));
      if (n <= 0) return Status::Internal("LZ4_compress_default failed");
      out->resize(static_cast<size_t>(n));
      return Status::OK();
    }
  }
  return Status::NotSupported(std::string("cannot write compression ") + CodecName(codec));
}

}  // namespace capsfusion::parquet
