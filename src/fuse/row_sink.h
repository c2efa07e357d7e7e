// The writer stage of the fuse pipeline. StreamSink writes rows straight to
// the output (`-o -`, no resume). ChunkSink writes them to chunk files in the
// work dir and commits each chunk atomically (temp, fsync, rename) before the
// manifest names it.
#pragma once

#include <memory>
#include <string>

#include "capsfusion/writer.h"
#include "fuse/pipeline_window.h"
#include "fuse/work_manifest.h"

namespace capsfusion {

class RowSink {
 public:
  virtual ~RowSink() = default;
  //! Writes a window's rows (outcomes set); commits a chunk at its end.
  virtual Status Write(PipelineWindow* window) = 0;
  //! Flushes and closes (everything written is then committed).
  virtual Status Finish() = 0;
};

//! `output`/`rejects` written directly (either may be "-" / a path); null
//! writer: rows are counted and dropped (dry runs).
std::unique_ptr<RowSink> MakeStreamSink(std::unique_ptr<RecordWriter> writer, std::unique_ptr<RejectWriter> rejects);

//! Chunks in `work_dir`, recorded in `*manifest` (saved after every commit).
std::unique_ptr<RowSink> MakeChunkSink(std::string work_dir, WorkManifest* manifest);

}  // namespace capsfusion
