// Helpers for the dataset I/O tests: read a whole file into records and
// rejects, compress test data with gzip or zstd.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"

namespace capsfusion::testing {

struct ReadResult {
  Status open_status;  // Open() failed when not OK
  std::vector<Record> records;
  std::vector<Reject> rejects;
  Status status;       // the reader's final status()
  uint64_t bytes_read = 0;
};

inline ReadResult ReadAll(const std::string& path, const ReaderOptions& options = ReaderOptions()) {
  ReadResult out;
  auto reader = RecordReader::Open(path, options);
  if (!reader.ok()) {
    out.open_status = reader.status();
    return out;
  }
  Record rec;
  Reject rej;
  for (;;) {
    auto r = (*reader)->Next(&rec, &rej);
    if (r == RecordReader::Result::kEnd) break;
    if (r == RecordReader::Result::kRecord) out.records.push_back(rec);
    if (r == RecordReader::Result::kReject) out.rejects.push_back(rej);
  }
  // Next() after the end keeps returning kEnd.
  EXPECT_EQ((*reader)->Next(&rec, &rej), RecordReader::Result::kEnd);
  out.status = (*reader)->status();
  out.bytes_read = (*reader)->bytes_read();
  return out;
}

inline std::string Gzip(const std::string& data) {
  z_stream z;
  std::memset(&z, 0, sizeof z);
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

inline std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

//! JSONL text of `n` caption rows: {"laion_2b": "raw i", "laion_coco": "syn i"}.
inline std::string CaptionRows(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) {
    s += "{\"laion_2b\": \"raw caption " + std::to_string(i) + "\", \"laion_coco\": \"a synthetic caption " +
         std::to_string(i) + "\"}\n";
  }
  return s;
}

}  // namespace capsfusion::testing
