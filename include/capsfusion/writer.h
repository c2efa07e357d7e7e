// RecordWriter: writes records as JSONL or CSV; RejectWriter: the rejects file.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"

namespace capsfusion {

struct WriterOptions {
  Format format = Format::kAuto;  //!< kAuto: from the file name (default JSONL)
  //! CSV/TSV only: the header. Empty: the first record's field names.
  std::vector<std::string> columns;
};

class RecordWriter {
 public:
  virtual ~RecordWriter() = default;

  //! Creates (truncates) `path`; "-" writes standard output.
  static StatusOr<std::unique_ptr<RecordWriter>> Open(const std::string& path,
                                                      const WriterOptions& options);

  //! Writes all of `record.fields`, in order.
  virtual Status Write(const Record& record) = 0;
  //! Flushes and closes; reports any write error that happened on the way.
  virtual Status Close() = 0;
};

//! Writes rejected rows as JSONL: {"origin", "reason", "text"}.
class RejectWriter {
 public:
  //! Nothing is created until the first Write(), so clean runs leave no file.
  explicit RejectWriter(std::string path);
  ~RejectWriter();
  Status Write(const Reject& reject);
  Status Close();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<RecordWriter> out_;
};

}  // namespace capsfusion
