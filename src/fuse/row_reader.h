// The reader stage of the fuse pipeline: reads every input in order, keeps the
// rows of this shard's units, skips the ones already committed, builds their
// prompts, and hands windows of rows to the model stage.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/status.h"
#include "fuse/bounded_queue.h"
#include "fuse/caption_maker.h"
#include "fuse/pipeline_window.h"
#include "fuse/shard_layout.h"

namespace capsfusion {

struct RowReaderOptions {
  std::vector<std::string> inputs;
  ReaderOptions reader;
  uint32_t shard_index = 0, shard_count = 1;
  ShardBy shard_by = ShardBy::kRows;  //!< resolved (not kAuto)
  uint64_t shard_unit = 1000;
  uint64_t skip_rows = 0;    //!< shard rows already committed
  uint64_t chunk_rows = 10000;  //!< rows per chunk (0: one chunk)
  size_t window_rows = 256;
  uint64_t max_rows = 0;     //!< stop after this many shard rows (0: all)
  const CaptionMaker* maker = nullptr;
  const std::atomic<int>* stop = nullptr;  //!< nonzero: end the current chunk now and stop
};

struct RowReaderResult {
  bool reached_end = false;  //!< every input row was read (not stopped, no max_rows cut)
  uint64_t shard_rows = 0;   //!< shard rows seen (skipped ones included)
};

//! Runs the reader stage; closes `out` when done. Fails on an input that cannot
//! be opened or read to the end.
Status ReadShardRows(const RowReaderOptions& options, BoundedQueue<PipelineWindow>* out,
                     std::atomic<uint64_t>* bytes_read, RowReaderResult* result);

}  // namespace capsfusion
