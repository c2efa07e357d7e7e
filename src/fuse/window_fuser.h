// The model stage of the fuse pipeline: fuses a window of rows in batches of
// similar prompt length (sorted by prompt tokens, rows in input order again
// afterwards), runs QC with its retries, and sets each row's outcome.
#pragma once

#include <atomic>
#include <string>

#include "capsfusion/status.h"
#include "fuse/caption_maker.h"
#include "fuse/consensus_choice.h"
#include "fuse/length_choice.h"
#include "fuse/pipeline_window.h"
#include "fuse/qc_stage.h"
#include "fuse/reference_choice.h"

namespace capsfusion {

struct WindowFuserOptions {
  std::string output_field = "capsfusion";
  QcSettings qc;                   //!< qc.enabled false: no checks, no qc_reasons field
  std::string row_provenance;      //!< non-empty: JSON set as field capsfusion_provenance
  LengthChoice length_choice;      //!< which beam comes first (off: the best)
  ConsensusChoice consensus_choice;  //!< with the length choice: beams by agreement (off: the model's order)
  //! Then put first the beam closest to the row's first reference (fuse --closest-to).
  bool reference_choice = false;
  //! Alternatives kept for QC's next-beam choice after the length choice.
  size_t max_alternatives = static_cast<size_t>(-1);
  //! Nonzero: abandon the window between two batches (Fuse then returns kStopped).
  const std::atomic<int>* stop = nullptr;
};

class WindowFuser {
 public:
  WindowFuser(CaptionMaker* maker, WindowFuserOptions options) : maker_(maker), options_(std::move(options)) {}

  //! Fuses every row the reader accepted; sets `written`/`reject` of each row
  //! and the window's QC counts. Fails only when the backend fails; returns
  //! Stopped() (the window left unfused) when options.stop was set.
  Status Fuse(PipelineWindow* window);
  static bool IsStopped(const Status& s) { return s.code() == Status::Code::kUnavailable && s.message() == kStopped; }

  //! Seconds spent in the caption maker (model time).
  double make_seconds() const { return make_seconds_; }

 private:
  //! Fuses rows[idx] in prompt-length order; results in the order of idx.
  Status MakeSorted(PipelineWindow* w, const std::vector<size_t>& idx, bool retry, std::vector<FusedCaption>* out);

  static constexpr const char* kStopped = "stopped by a signal";
  CaptionMaker* maker_;
  WindowFuserOptions options_;
  double make_seconds_ = 0;
};

}  // namespace capsfusion
