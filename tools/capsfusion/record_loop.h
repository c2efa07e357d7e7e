// The read loop shared by the subcommands that go through datasets row by row
// (eval, qc, stats, teach): every input in order, readable rows and malformed
// rows to their own callbacks, open and read errors returned.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/status.h"

namespace capsfusion::cli {

//! Called for each readable row. The loop reuses the record (and its buffers)
//! for the next row; a callback that moves from it resets it. A non-OK status
//! stops the loop.
using RecordFn = std::function<Status(Record& rec)>;
//! Called for each malformed row. A non-OK status stops the loop.
using RejectFn = std::function<Status(const Reject& rej)>;

//! Reads `inputs` one after the other with `options`; returns the first error
//! of opening or reading a file, or of a callback.
Status ForEachRecord(const std::vector<std::string>& inputs, const ReaderOptions& options, const RecordFn& on_record,
                     const RejectFn& on_reject);

}  // namespace capsfusion::cli
