#include "record_loop.h"

namespace capsfusion::cli {

Status ForEachRecord(const std::vector<std::string>& inputs, const ReaderOptions& options, const RecordFn& on_record,
                     const RejectFn& on_reject) {
  Record rec;
  Reject rej;
  for (const std::string& path : inputs) {
    auto reader = RecordReader::Open(path, options);
    if (!reader.ok()) return reader.status();
    for (;;) {
      const auto r = (*reader)->Next(&rec, &rej);
      if (r == RecordReader::Result::kEnd) break;
      Status s = r == RecordReader::Result::kReject ? on_reject(rej) : on_record(rec);
      if (!s.ok()) return s;
    }
    if (!(*reader)->status().ok()) return (*reader)->status();
  }
  return Status::OK();
}

}  // namespace capsfusion::cli
