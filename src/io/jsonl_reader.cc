// JSONL: one JSON object per line. Blank lines are skipped; every other line
// is a row, and a bad line is rejected without touching its neighbours.
#include <algorithm>
#include <cstring>

#include "io/readers.h"

namespace capsfusion::io {

namespace {

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

class JsonlReader : public RecordReader {
 public:
  explicit JsonlReader(ReaderParts parts)
      : name_(std::move(parts.name)),
        src_(std::move(parts.source)),
        options_(parts.options),
        builder_(options_) {}

  Result Next(Record* record, Reject* reject) override {
    if (done_) return Result::kEnd;
    for (;;) {
      const char* data = src_->data();
      const size_t size = src_->size();  // unchanged by a Fill() that brings nothing
      const void* nl = std::memchr(data + scan_from_, '\n', size - scan_from_);
      size_t len, used;
      if (nl != nullptr) {
        len = static_cast<size_t>(static_cast<const char*>(nl) - data);
        used = len + 1;
      } else {
        if (size > options_.max_row_bytes) return SkipLongLine(reject);
        scan_from_ = size;
        if (src_->Fill(std::max(SourceBuffer::kChunk, size))) continue;
        if (!src_->status().ok()) {
          // A partial last line before a read or decompression error is dropped.
          status_ = src_->status();
          done_ = true;
          return Result::kEnd;
        }
        // Fill() may have moved the window even though nothing came.
        data = src_->data();
        if (size == 0) {
          done_ = true;
          return Result::kEnd;
        }
        len = used = size;  // the last line has no newline
      }
      scan_from_ = 0;
      ++line_;
      std::string_view line(data, len);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (IsBlank(line)) {
        src_->Consume(used);
        continue;
      }
      Result result = Row(line, record, reject);
      src_->Consume(used);
      return result;
    }
  }

  const Status& status() const override { return status_; }
  uint64_t bytes_read() const override { return src_->offset(); }

 private:
  Result Row(std::string_view line, Record* record, Reject* reject) {
    const uint64_t index = index_++;
    std::string reason;
    if (line.size() > options_.max_row_bytes) {
      // Over the limit but already in the window (a small limit).
      FillReject(name_, line_,
                 "line of " + std::to_string(line.size()) + " bytes is over max_row_bytes (" +
                     std::to_string(options_.max_row_bytes) + ")",
                 line, reject);
      return Result::kReject;
    }
    if (!RecordFromJsonText(line, "line", &scanner_, &builder_, record, &reason)) {
      FillReject(name_, line_, std::move(reason), line, reject);
      return Result::kReject;
    }
    SetOrigin(name_, line_, &record->origin);
    record->index = index;
    return Result::kRecord;
  }

  // The window holds more than max_row_bytes without a newline: keep the
  // start for the reject, then drop bytes until the line ends.
  Result SkipLongLine(Reject* reject) {
    ++line_;
    ++index_;
    std::string head(src_->data(), std::min(src_->size(), kRejectTextBytes + 8));
    uint64_t total = 0;
    for (;;) {
      const char* data = src_->data();
      const size_t size = src_->size();
      const void* nl = std::memchr(data, '\n', size);
      if (nl != nullptr) {
        size_t len = static_cast<size_t>(static_cast<const char*>(nl) - data);
        total += len;
        src_->Consume(len + 1);
        break;
      }
      total += size;
      src_->Consume(size);
      if (!src_->Fill()) {
        if (!src_->status().ok()) {
          status_ = src_->status();
          done_ = true;
        }
        break;
      }
    }
    scan_from_ = 0;
    FillReject(name_, line_,
               "line of " + std::to_string(total) + " bytes is over max_row_bytes (" +
                   std::to_string(options_.max_row_bytes) + "); skipped",
               head, reject);
    return Result::kReject;
  }

  std::string name_;
  std::unique_ptr<SourceBuffer> src_;
  ReaderOptions options_;
  RecordBuilder builder_;
  JsonScanner scanner_;
  Status status_;
  size_t scan_from_ = 0;
  uint64_t line_ = 0;
  uint64_t index_ = 0;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<RecordReader> NewJsonlReader(ReaderParts parts) {
  return std::make_unique<JsonlReader>(std::move(parts));
}

}  // namespace capsfusion::io
