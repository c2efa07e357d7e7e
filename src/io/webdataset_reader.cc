// WebDataset input: a tar shard in img2dataset's layout, where the members
// of one sample share a key (KEY.jpg, KEY.txt, KEY.json) and sit next to
// each other. Each sample becomes one record:
//
//   __key__   the sample key              __url__  the shard it came from
//   txt       the text of KEY.txt         NAME     the text of KEY.NAME.txt
//   ...       every top-level field of KEY.json, in its order
//
// Images and other members are skipped (never held in memory). A damaged
// member rejects its sample; the samples after it are still read.
#include <deque>

#include "io/readers.h"
#include "io/utf8.h"
#include "webdataset/tar_reader.h"

namespace capsfusion::io {

namespace {

using webdataset::TarMember;
using webdataset::TarReader;

class WebDatasetReader : public RecordReader {
 public:
  explicit WebDatasetReader(ReaderParts parts)
      : name_(std::move(parts.name)),
        src_(std::move(parts.source)),
        options_(parts.options),
        builder_(options_),
        tar_(src_.get(), name_) {}

  Result Next(Record* record, Reject* reject) override {
    for (;;) {
      if (!errors_.empty()) {
        ++index_;
        FillRejectAt(errors_.front().first, std::move(errors_.front().second), "", reject);
        errors_.pop_front();
        return Result::kReject;
      }
      if (done_) return Result::kEnd;
      // The first member of the next sample: left over from the last call, or read now.
      if (!have_pending_) {
        TarReader::Result r = tar_.Next(&pending_);
        if (r == TarReader::Result::kEnd) {
          done_ = true;
          if (tar_.truncated()) errors_.emplace_back("end", tar_.error());
          continue;
        }
        if (r == TarReader::Result::kError) {
          errors_.emplace_back("byte " + std::to_string(tar_.offset()), tar_.error());
          continue;
        }
        have_pending_ = true;
      }
      std::string_view key_view, ext;
      if (!pending_.is_file() || !webdataset::SplitKey(pending_.name, &key_view, &ext)) {
        have_pending_ = false;  // directories, names without an extension
        continue;
      }
      return ReadSample(std::string(key_view), record, reject);
    }
  }

  const Status& status() const override { return status_; }
  uint64_t bytes_read() const override { return src_->offset(); }

 private:
  void FillRejectAt(const std::string& where, std::string reason, std::string_view text, Reject* reject) {
    reject->origin = name_ + ":" + where;
    reject->reason = std::move(reason);
    reject->text = SafeExcerpt(text, kRejectTextBytes);
  }

  // Reads the members of the sample `key`, starting with pending_.
  Result ReadSample(std::string key, Record* record, Reject* reject) {
    const uint64_t index = index_++;
    std::string problem;
    texts_.clear();
    json_.clear();
    bool have_json = false;
    for (;;) {
      std::string_view k, ext;
      webdataset::SplitKey(pending_.name, &k, &ext);
      const std::string member = pending_.name;
      const bool txt = ext == "txt" || (ext.size() > 4 && ext.substr(ext.size() - 4) == ".txt");
      if (ext == "json" || txt) {
        std::string data;
        if (!tar_.ReadData(options_.max_row_bytes, &data)) {
          if (problem.empty()) problem = member + ": " + tar_.error();
        } else if (FindInvalidUtf8(data) != std::string_view::npos) {
          if (problem.empty()) problem = member + " is not valid UTF-8";
        } else if (ext == "json") {
          json_ = std::move(data);
          have_json = true;
        } else {
          texts_.emplace_back(ext == "txt" ? std::string("txt") : std::string(ext.substr(0, ext.size() - 4)),
                              std::move(data));
        }
      }
      have_pending_ = false;
      if (tar_.truncated()) {
        done_ = true;
        if (problem.empty()) problem = member + ": " + tar_.error();
        break;
      }
      TarReader::Result r = tar_.Next(&pending_);
      // A damaged header is reported after this sample; the members after it
      // that share the key still belong to the sample.
      while (r == TarReader::Result::kError) {
        errors_.emplace_back("byte " + std::to_string(tar_.offset()), tar_.error());
        r = tar_.Next(&pending_);
      }
      if (r == TarReader::Result::kEnd) {
        done_ = true;
        if (tar_.truncated()) errors_.emplace_back("end", tar_.error());
        break;
      }
      have_pending_ = true;
      std::string_view next_key, next_ext;
      if (pending_.is_file() && webdataset::SplitKey(pending_.name, &next_key, &next_ext) && next_key != key) break;
      if (!pending_.is_file()) have_pending_ = false;
    }
    if (!problem.empty()) {
      FillRejectAt(key, std::move(problem), "", reject);
      return Result::kReject;
    }
    // The record as one JSON object: key, shard, texts, then the .json fields.
    text_.clear();
    text_ += "{\"__key__\":";
    AppendJsonString(key, &text_);
    text_ += ",\"__url__\":";
    AppendJsonString(name_, &text_);
    for (const auto& [field, value] : texts_) {
      text_.push_back(',');
      AppendJsonString(field, &text_);
      text_.push_back(':');
      AppendJsonString(value, &text_);
    }
    if (have_json) {
      size_t b = json_.find_first_not_of(" \t\r\n");
      size_t e = json_.find_last_not_of(" \t\r\n");
      if (b == std::string::npos || json_[b] != '{' || json_[e] != '}') {
        FillRejectAt(key, key + ".json is not a JSON object", json_, reject);
        return Result::kReject;
      }
      std::string_view inner(json_.data() + b + 1, e - b - 1);
      if (inner.find_first_not_of(" \t\r\n") != std::string_view::npos) {
        text_.push_back(',');
        text_.append(inner.data(), inner.size());
      }
    }
    text_.push_back('}');
    std::string reason;
    if (!RecordFromJsonText(text_, "sample", &scanner_, &builder_, record, &reason)) {
      FillRejectAt(key, std::move(reason), have_json ? std::string_view(json_) : std::string_view(text_), reject);
      return Result::kReject;
    }
    record->origin = name_ + ":" + key;
    record->index = index;
    return Result::kRecord;
  }

  std::string name_;
  std::unique_ptr<SourceBuffer> src_;
  ReaderOptions options_;
  RecordBuilder builder_;
  TarReader tar_;
  JsonScanner scanner_;
  TarMember pending_;
  bool have_pending_ = false;
  std::deque<std::pair<std::string, std::string>> errors_;  // (where, reason) still to report
  std::vector<std::pair<std::string, std::string>> texts_;
  std::string json_;
  std::string text_;
  uint64_t index_ = 0;
  bool done_ = false;
  Status status_;
};

}  // namespace

std::unique_ptr<RecordReader> NewWebDatasetReader(ReaderParts parts) {
  return std::make_unique<WebDatasetReader>(std::move(parts));
}

}  // namespace capsfusion::io
