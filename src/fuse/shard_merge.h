// `capsfusion merge`: joins the outputs of shards 0..N-1 of a sharded fuse run
// into one file in input order (unit by unit), with the merged rejects and
// summary. Refuses, writing nothing, when a shard is missing or incomplete.
#pragma once

#include <cstdint>
#include <string>

#include "capsfusion/status.h"
#include "capsfusion/writer.h"

namespace capsfusion {

struct MergeOptions {
  std::string output;  //!< OUT as given to `capsfusion fuse -o OUT`
  std::string merged;  //!< where the merged file goes (default: output)
  std::string rejects; //!< merged rejects (default: merged + ".rejects.jsonl")
  WriterOptions writer;
};

struct MergeResult {
  uint32_t shards = 0;
  uint64_t rows = 0, written = 0, rejected = 0;
};

//! FailedPrecondition-style InvalidArgument listing missing/incomplete shards
//! ("shards 1, 3 of 4 are missing; shard 2 is incomplete (412 of ? rows)").
StatusOr<MergeResult> MergeShards(const MergeOptions& options);

}  // namespace capsfusion
