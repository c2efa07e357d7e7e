// CaptionMaker: what the fuse pipeline calls to turn rows into captions, a
// model (through ModelFuser and a Backend) or a baseline method.
#pragma once

#include <memory>
#include <vector>

#include "capsfusion/engine.h"
#include "capsfusion/record.h"
#include "capsfusion/status.h"
#include "fuse/baseline.h"
#include "fuse/model_fuser.h"

namespace capsfusion {

class CaptionMaker {
 public:
  virtual ~CaptionMaker() = default;
  //! What Make needs of one row besides the record (the prompt and its length).
  //! Runs on the reader thread, concurrently with Make.
  virtual PreparedPrompt Prepare(const Record& record) const = 0;
  //! One caption per row, in order. `retry`: with the retry decoding settings.
  //! A row error is a FusedCaption status; a failed call stops the run.
  virtual StatusOr<std::vector<FusedCaption>> Make(const std::vector<const Record*>& rows,
                                                   const std::vector<const PreparedPrompt*>& prompts, bool retry) = 0;
  //! True when Make(retry = true) can give another answer (models; not baselines).
  virtual bool can_retry() const = 0;
  //! Rows per Make call.
  virtual size_t batch_size() const = 0;
};

//! raw, synthetic or concat.
std::unique_ptr<CaptionMaker> MakeBaselineCaptionMaker(FuseMethod method, size_t batch_size = 256);
//! A model: `fuser` (not owned) with its decoding, `retry` for QC retries.
std::unique_ptr<CaptionMaker> MakeModelCaptionMaker(ModelFuser* fuser, GenerateOptions retry, size_t batch_size);

}  // namespace capsfusion
