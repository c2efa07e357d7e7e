// The model stage of the fuse pipeline: fuses a window of rows in batches of
// similar prompt length (sorted by prompt tokens, rows in input order again
// afterwards), runs QC with its retries, and sets each row's outcome.
#pragma once

#include <string>

#include "capsfusion/status.h"
#include "fuse/caption_maker.h"
#include "fuse/pipeline_window.h"
#include "fuse/qc_stage.h"

namespace capsfusion {

struct WindowFuserOptions {
  std::string output_field = "capsfusion";
  QcSettings qc;                   //!< qc.enabled false: no checks, no qc_reasons field
  std::string row_provenance;      //!< non-empty: JSON set as field capsfusion_provenance
};

class WindowFuser {
 public:
  WindowFuser(CaptionMaker* maker, WindowFuserOptions options) : maker_(maker), options_(std::move(options)) {}

  //! Fuses every row the reader accepted; sets `written`/`reject` of each row
  //! and the window's QC counts. Fails only when the backend fails.
  Status Fuse(PipelineWindow* window);

  //! Seconds spent in the caption maker (model time).
  double make_seconds() const { return make_seconds_; }

 private:
  //! Fuses rows[idx] in prompt-length order; results in the order of idx.
  Status MakeSorted(PipelineWindow* w, const std::vector<size_t>& idx, bool retry, std::vector<FusedCaption>* out);

  CaptionMaker* maker_;
  WindowFuserOptions options_;
  double make_seconds_ = 0;
};

}  // namespace capsfusion
