// JSON array (the CapsFusion release format): one top-level array of objects,
// streamed element by element. Only the element being read is held in memory.
//
// An element that is not an object, is malformed or is over max_row_bytes is
// rejected and stepped over; the array goes on. A broken array structure (no
// '[', a missing ',' between elements, mismatched brackets, input that ends
// before ']') ends the stream with a fatal status naming the line; the rows
// before it have been delivered.
#include <algorithm>

#include "io/json_skimmer.h"
#include "io/readers.h"

namespace capsfusion::io {

namespace {

class JsonArrayReader : public RecordReader {
 public:
  explicit JsonArrayReader(ReaderParts parts)
      : name_(std::move(parts.name)),
        src_(std::move(parts.source)),
        options_(parts.options),
        builder_(options_) {}

  Result Next(Record* record, Reject* reject) override {
    for (;;) {
      switch (state_) {
        case State::kDone:
          return Result::kEnd;
        case State::kStart:
          if (!SkipSpace()) {
            // An empty input is an empty dataset.
            if (src_->status().ok()) return End();
            return Fatal(src_->status());
          }
          if (*src_->data() != '[') {
            return Fatal(Status::Corruption(name_ + ":" + std::to_string(line_) +
                                            ": expected '[' at the start of a JSON array"));
          }
          src_->Consume(1);
          state_ = State::kFirst;
          break;
        case State::kFirst:
        case State::kAfterComma:
          if (!SkipSpace()) return Truncated("the array is not closed");
          if (*src_->data() == ']') {
            // "[]" or a trailing comma before ']'.
            src_->Consume(1);
            state_ = State::kTail;
            break;
          }
          state_ = State::kAfterElement;
          return Element(record, reject);
        case State::kAfterElement:
          if (!SkipSpace()) return Truncated("the array is not closed after the last complete element");
          if (*src_->data() == ',') {
            src_->Consume(1);
            state_ = State::kAfterComma;
          } else if (*src_->data() == ']') {
            src_->Consume(1);
            state_ = State::kTail;
          } else {
            return Fatal(Status::Corruption(name_ + ":" + std::to_string(line_) +
                                            ": expected ',' or ']' after an array element"));
          }
          break;
        case State::kTail:
          if (!SkipSpace()) {
            if (src_->status().ok()) return End();
            return Fatal(src_->status());
          }
          return Fatal(Status::Corruption(name_ + ":" + std::to_string(line_) +
                                          ": unexpected data after the end of the JSON array"));
      }
    }
  }

  const Status& status() const override { return status_; }
  uint64_t bytes_read() const override { return src_->offset(); }

 private:
  enum class State { kStart, kFirst, kAfterComma, kAfterElement, kTail, kDone };

  Result End() {
    state_ = State::kDone;
    return Result::kEnd;
  }

  Result Fatal(Status status) {
    status_ = std::move(status);
    return End();
  }

  Result Truncated(const std::string& what) {
    if (!src_->status().ok()) return Fatal(src_->status());
    return Fatal(Status::Corruption(name_ + ":" + std::to_string(line_) + ": truncated JSON array: " + what +
                                    " at the end of the input"));
  }

  // Skips whitespace (counting lines). True when a byte is available.
  bool SkipSpace() {
    for (;;) {
      const char* p = src_->data();
      const size_t n = src_->size();
      size_t i = 0;
      while (i < n) {
        char c = p[i];
        if (c == '\n') {
          ++line_;
        } else if (c != ' ' && c != '\t' && c != '\r') {
          break;
        }
        ++i;
      }
      src_->Consume(i);
      if (i < n) return true;
      if (!src_->Fill()) return false;
    }
  }

  Result Element(Record* record, Reject* reject) {
    const uint64_t start_line = line_;
    const uint64_t index = index_++;
    for (;;) {
      std::string_view window(src_->data(), src_->size());
      size_t end = 0;
      JsonType type = JsonType::kNull;
      JsonScanner::Result r = scanner_.Scan(window, &end, &type);
      bool need_more = r == JsonScanner::Result::kTruncated ||
                       (r == JsonScanner::Result::kOk && type == JsonType::kNumber && end == window.size() &&
                        !src_->eof());
      if (need_more) {
        if (window.size() > options_.max_row_bytes) {
          return Skip(start_line, "array element is over max_row_bytes (" +
                                      std::to_string(options_.max_row_bytes) + ")", reject);
        }
        if (src_->Fill(std::max(SourceBuffer::kChunk, window.size()))) continue;
        window = std::string_view(src_->data(), src_->size());  // the window may have moved
        if (r == JsonScanner::Result::kTruncated) {
          line_ += static_cast<uint64_t>(std::count(window.begin(), window.end(), '\n'));
          return Truncated("the element that starts at line " + std::to_string(start_line) + " is not closed");
        }
        // A number that ends at the end of the input is complete.
      }
      if (r == JsonScanner::Result::kError) {
        return Skip(start_line, JsonErrorReason(scanner_, "array element"), reject);
      }
      std::string_view text = window.substr(0, end);
      line_ += static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n'));
      Result result;
      std::string reason;
      if (end > options_.max_row_bytes) {
        reason = "array element of " + std::to_string(end) + " bytes is over max_row_bytes (" +
                 std::to_string(options_.max_row_bytes) + ")";
        FillReject(name_, start_line, std::move(reason), text, reject);
        result = Result::kReject;
      } else if (type != JsonType::kObject) {
        reason = std::string("array element is ") + (type == JsonType::kArray ? "an " : "a ") +
                 JsonTypeName(type) + ", not an object";
        FillReject(name_, start_line, std::move(reason), text, reject);
        result = Result::kReject;
      } else if (!builder_.FromJson(scanner_.members(), record, &reason)) {
        FillReject(name_, start_line, std::move(reason), text, reject);
        result = Result::kReject;
      } else {
        SetOrigin(name_, start_line, &record->origin);
        record->index = index;
        result = Result::kRecord;
      }
      src_->Consume(end);
      return result;
    }
  }

  // Rejects the element at the front of the window, then steps over it a
  // chunk at a time without holding it.
  Result Skip(uint64_t start_line, std::string reason, Reject* reject) {
    FillReject(name_, start_line, std::move(reason),
               std::string_view(src_->data(), std::min(src_->size(), kRejectTextBytes + 8)), reject);
    skimmer_.Reset();
    for (;;) {
      size_t used = skimmer_.Feed(src_->data(), src_->size());
      src_->Consume(used);
      if (skimmer_.failed()) {
        line_ = start_line + skimmer_.newlines();
        return Fatal(Status::Corruption(name_ + ":" + std::to_string(line_) + ": broken JSON array: " +
                                        skimmer_.error() + " in the element that starts at line " +
                                        std::to_string(start_line)));
      }
      if (skimmer_.done()) break;
      if (!src_->Fill()) {
        skimmer_.Finish();
        if (skimmer_.done()) break;
        line_ = start_line + skimmer_.newlines();
        Truncated("the element that starts at line " + std::to_string(start_line) + " is not closed");
        return Result::kReject;  // the reject is delivered; the stream ends after it
      }
    }
    line_ = start_line + skimmer_.newlines();
    return Result::kReject;
  }

  std::string name_;
  std::unique_ptr<SourceBuffer> src_;
  ReaderOptions options_;
  RecordBuilder builder_;
  JsonScanner scanner_;
  JsonSkimmer skimmer_;
  Status status_;
  State state_ = State::kStart;
  uint64_t line_ = 1;
  uint64_t index_ = 0;
};

}  // namespace

std::unique_ptr<RecordReader> NewJsonArrayReader(ReaderParts parts) {
  return std::make_unique<JsonArrayReader>(std::move(parts));
}

}  // namespace capsfusion::io
