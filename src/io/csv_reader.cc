// CSV and TSV (RFC 4180): a header row names the columns; fields may be quoted
// with '"', a quoted field may hold the delimiter, newlines and doubled quotes
// (""). TSV is the same with a tab as the delimiter. CRLF line ends are fine.
// A '"' inside an unquoted field is kept as a plain character.
//
// Bad rows are rejected and the rest kept: a quote that is never closed or is
// followed by stray characters rejects the row at its first line, and reading
// goes on at the next physical line; a row with the wrong number of columns is
// rejected whole.
#include <algorithm>
#include <cstring>

#include "io/readers.h"
#include "io/utf8.h"

namespace capsfusion::io {

namespace {

class CsvReader : public RecordReader {
 public:
  CsvReader(ReaderParts parts, char delimiter)
      : name_(std::move(parts.name)),
        src_(std::move(parts.source)),
        options_(parts.options),
        builder_(options_),
        delim_(delimiter) {}

  Result Next(Record* record, Reject* reject) override {
    if (done_) return Result::kEnd;
    if (!have_header_ && !ReadHeader()) {
      done_ = true;
      return Result::kEnd;
    }
    for (;;) {
      Parse p = ParseRow();
      switch (p) {
        case Parse::kEnd:
          if (!src_->status().ok()) status_ = src_->status();
          done_ = true;
          return Result::kEnd;
        case Parse::kBlank:
          src_->Consume(used_);
          ++line_;
          continue;
        case Parse::kTooLong:
          return RejectTooLong(reject);
        case Parse::kError:
          return RejectAndResync(reject);
        case Parse::kRow:
          return Row(record, reject);
        case Parse::kNeedMore:
          break;  // not returned by ParseRow
      }
    }
  }

  const Status& status() const override { return status_; }
  uint64_t bytes_read() const override { return src_->offset(); }

 private:
  enum class Parse { kRow, kBlank, kEnd, kError, kTooLong, kNeedMore };

  // Parses the row at the front of the window into cells_[0, ncells_),
  // reading more input as needed. kRow/kBlank: used_ bytes make the row.
  Parse ParseRow() {
    for (;;) {
      Parse p = TryParse(std::string_view(src_->data(), src_->size()), src_->eof());
      if (p != Parse::kNeedMore) return p;
      if (src_->size() > options_.max_row_bytes) return Parse::kTooLong;
      if (!src_->Fill(std::max(SourceBuffer::kChunk, src_->size()))) {
        if (!src_->status().ok()) return Parse::kEnd;  // a partial row before an input error is dropped
      }
    }
  }

  std::string& NextCell() {
    if (ncells_ == cells_.size()) cells_.emplace_back();
    std::string& cell = cells_[ncells_++];
    cell.clear();
    return cell;
  }

  Parse Error(const char* message, size_t at) {
    error_ = message;
    error_at_ = at;
    return Parse::kError;
  }

  Parse TryParse(std::string_view w, bool eof) {
    const size_t n = w.size();
    in_quotes_ = false;
    if (n == 0) return eof ? Parse::kEnd : Parse::kNeedMore;
    if (w[0] == '\n') {
      used_ = 1;
      return Parse::kBlank;
    }
    if (w[0] == '\r') {
      if (n == 1 && !eof) return Parse::kNeedMore;
      if (n == 1 || w[1] == '\n') {
        used_ = n == 1 ? 1 : 2;
        return Parse::kBlank;
      }
    }
    ncells_ = 0;
    size_t i = 0;
    for (;;) {
      std::string& cell = NextCell();
      if (i < n && w[i] == '"') {
        const size_t open = i;
        ++i;
        for (;;) {
          const void* q = std::memchr(w.data() + i, '"', n - i);
          if (q == nullptr) {
            in_quotes_ = true;
            if (!eof) return Parse::kNeedMore;
            return Error("quoted field is never closed", open);
          }
          size_t at = static_cast<size_t>(static_cast<const char*>(q) - w.data());
          cell.append(w.data() + i, at - i);
          i = at + 1;
          if (i >= n) {
            if (!eof) return Parse::kNeedMore;
            used_ = n;
            return Parse::kRow;
          }
          if (w[i] != '"') break;
          cell.push_back('"');  // "" is one quote
          ++i;
        }
        const char c = w[i];
        if (c == delim_) {
          ++i;
          continue;
        }
        if (c == '\n') {
          used_ = i + 1;
          return Parse::kRow;
        }
        if (c == '\r') {
          if (i + 1 >= n) {
            if (!eof) return Parse::kNeedMore;
            used_ = n;
            return Parse::kRow;
          }
          if (w[i + 1] == '\n') {
            used_ = i + 2;
            return Parse::kRow;
          }
        }
        return Error("unexpected character after a closing quote", i);
      }
      size_t j = i;
      while (j < n && w[j] != delim_ && w[j] != '\n') ++j;
      if (j >= n) {
        if (!eof) return Parse::kNeedMore;
        cell.assign(w.data() + i, j - i);
        if (!cell.empty() && cell.back() == '\r') cell.pop_back();
        used_ = n;
        return Parse::kRow;
      }
      cell.assign(w.data() + i, j - i);
      if (w[j] == delim_) {
        i = j + 1;
        continue;
      }
      if (!cell.empty() && cell.back() == '\r') cell.pop_back();
      used_ = j + 1;
      return Parse::kRow;
    }
  }

  // The header row; false (with status_ set unless the input is empty) when
  // there is none.
  bool ReadHeader() {
    for (;;) {
      Parse p = ParseRow();
      if (p == Parse::kBlank) {
        src_->Consume(used_);
        ++line_;
        continue;
      }
      if (p == Parse::kEnd) {
        status_ = src_->status();
        return false;
      }
      std::string where = name_ + ":" + std::to_string(line_) + ": bad CSV header: ";
      if (p == Parse::kTooLong) {
        status_ = Status::Corruption(where + "over max_row_bytes (" + std::to_string(options_.max_row_bytes) + ")");
        return false;
      }
      if (p == Parse::kError) {
        status_ = Status::Corruption(where + error_ + " at byte " + std::to_string(error_at_));
        return false;
      }
      std::string_view row(src_->data(), used_);
      size_t bad = FindInvalidUtf8(row);
      if (bad != std::string_view::npos) {
        status_ = Status::Corruption(where + "invalid UTF-8 at byte " + std::to_string(bad));
        return false;
      }
      header_.assign(cells_.begin(), cells_.begin() + static_cast<ptrdiff_t>(ncells_));
      line_ += static_cast<uint64_t>(std::count(row.begin(), row.end(), '\n'));
      src_->Consume(used_);
      have_header_ = true;
      return true;
    }
  }

  Result Row(Record* record, Reject* reject) {
    const uint64_t index = index_++;
    const uint64_t start_line = line_;
    std::string_view row(src_->data(), used_);
    std::string reason;
    Result result = Result::kRecord;
    size_t bad = FindInvalidUtf8(row);
    if (row.size() > options_.max_row_bytes) {
      reason = "row of " + std::to_string(row.size()) + " bytes is over max_row_bytes (" +
               std::to_string(options_.max_row_bytes) + ")";
    } else if (bad != std::string_view::npos) {
      reason = "invalid UTF-8 at byte " + std::to_string(bad) + " of the row";
    } else if (ncells_ != header_.size()) {
      reason = "expected " + std::to_string(header_.size()) + " columns, got " + std::to_string(ncells_);
    } else {
      if (builder_.FromCells(header_, cells_, record, &reason)) {
        SetOrigin(name_, start_line, &record->origin);
        record->index = index;
      }
    }
    if (!reason.empty()) {
      FillReject(name_, start_line, std::move(reason), row, reject);
      result = Result::kReject;
    }
    line_ += static_cast<uint64_t>(std::count(row.begin(), row.end(), '\n'));
    src_->Consume(used_);
    return result;
  }

  // A broken quote: reject the row at its first line and go on at the next line.
  Result RejectAndResync(Reject* reject) {
    ++index_;
    std::string_view w(src_->data(), src_->size());
    FillReject(name_, line_, error_ + " (at byte " + std::to_string(error_at_) + " of the row)",
               w.substr(0, std::min(w.size(), w.find('\n'))), reject);
    size_t nl = w.find('\n');
    src_->Consume(nl == std::string_view::npos ? w.size() : nl + 1);
    ++line_;
    return Result::kReject;
  }

  // More than max_row_bytes without the row ending: reject it at its first
  // line and go on at the next line, dropping an over-long line a chunk at a time.
  Result RejectTooLong(Reject* reject) {
    ++index_;
    std::string_view w(src_->data(), src_->size());
    FillReject(name_, line_,
               in_quotes_ ? "quoted field not closed within max_row_bytes (" +
                                std::to_string(options_.max_row_bytes) + "); skipped to the next line"
                          : "row is over max_row_bytes (" + std::to_string(options_.max_row_bytes) + "); skipped",
               w.substr(0, kRejectTextBytes + 8), reject);
    ++line_;
    for (;;) {
      const void* nl = std::memchr(src_->data(), '\n', src_->size());
      if (nl != nullptr) {
        src_->Consume(static_cast<size_t>(static_cast<const char*>(nl) - src_->data()) + 1);
        return Result::kReject;
      }
      src_->Consume(src_->size());
      if (!src_->Fill()) return Result::kReject;
    }
  }

  std::string name_;
  std::unique_ptr<SourceBuffer> src_;
  ReaderOptions options_;
  RecordBuilder builder_;
  const char delim_;
  Status status_;
  bool done_ = false;
  bool have_header_ = false;
  std::vector<std::string> header_;
  std::vector<std::string> cells_;
  size_t ncells_ = 0;
  size_t used_ = 0;
  bool in_quotes_ = false;
  std::string error_;
  size_t error_at_ = 0;
  uint64_t line_ = 1;
  uint64_t index_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> NewCsvReader(ReaderParts parts, char delimiter) {
  return std::make_unique<CsvReader>(std::move(parts), delimiter);
}

}  // namespace capsfusion::io
