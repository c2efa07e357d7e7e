// The unit of work passed between the fuse pipeline's threads: a window of
// consecutive input rows of one shard (reader -> model -> writer).
#pragma once

#include <cstdint>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "fuse/model_fuser.h"
#include "fuse/qc_stage.h"

namespace capsfusion {

struct PipelineRow {
  uint64_t shard_row = 0;  //!< position among the shard's input rows
  uint64_t unit = 0;       //!< shard unit (shard_layout.h)
  bool read_ok = true;     //!< false: the reader rejected it (`reject` says why)
  Record record;
  PreparedPrompt prompt;
  // Outcome, set by the model stage.
  bool written = false;    //!< false: goes to the rejects file as `reject`
  Reject reject;
  uint64_t new_tokens = 0;
};

struct PipelineWindow {
  std::vector<PipelineRow> rows;
  bool chunk_end = false;  //!< the last window of a chunk: commit after it
  QcCounts qc;             //!< QC counts of this window's rows
};

}  // namespace capsfusion
