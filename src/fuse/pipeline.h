// The streaming fuse pipeline behind `capsfusion fuse`:
//
//   reader thread -> [windows] -> model stage -> [windows] -> writer thread
//
// The reader keeps this shard's rows and builds prompts; the model stage fuses
// windows in batches of similar prompt length and runs QC; the writer commits
// chunks to OUT.work/ (or streams to `-o -`). Queues are bounded, so memory is
// flat in the input size; output bytes depend only on the input and settings.
// See docs/pipeline.md for the work dir layout, resume and sharding.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/reader.h"
#include "capsfusion/status.h"
#include "capsfusion/writer.h"
#include "fuse/caption_maker.h"
#include "fuse/consensus_choice.h"
#include "fuse/length_choice.h"
#include "fuse/progress_line.h"
#include "fuse/qc_stage.h"
#include "fuse/shard_layout.h"
#include "fuse/work_manifest.h"

namespace capsfusion {

struct PipelineOptions {
  std::vector<std::string> inputs;
  ReaderOptions reader;
  std::string output;   //!< this shard's output file, or "-" (stream, no resume)
  WriterOptions writer;
  std::string rejects;  //!< rejects file
  CaptionMaker* maker = nullptr;
  std::string output_field = "capsfusion";
  QcSettings qc;
  LengthChoice length_choice;  //!< model method: which beam comes first
  ConsensusChoice consensus_choice;  //!< model method: beams by agreement within the length choice
  bool reference_choice = false;  //!< model method: then the beam closest to the row's first reference
  size_t max_alternatives = static_cast<size_t>(-1);  //!< beams kept for QC's next-beam choice
  uint32_t shard_index = 0, shard_count = 1;
  ShardBy shard_by = ShardBy::kRows;  //!< resolved
  uint64_t shard_unit = 1000;
  uint64_t chunk_rows = 10000;   //!< rows per committed chunk
  size_t window_batches = 4;     //!< rows sorted by prompt length together: this many batches
  size_t queue_windows = 2;      //!< windows waiting between two stages
  nlohmann::ordered_json fingerprint;
  nlohmann::ordered_json provenance;
  bool provenance_row = false;   //!< also per row, field capsfusion_provenance
  bool keep_work = false;
  bool overwrite = false;        //!< start over whatever the work dir or summary holds
  ProgressLine* progress = nullptr;
  const std::atomic<int>* stop = nullptr;  //!< nonzero: commit the current chunk and stop
  std::atomic<uint64_t>* bytes_read = nullptr;  //!< if set: input bytes read so far, updated live
  //! Dry run: fuse at most this many rows, write nothing (0: a normal run).
  uint64_t dry_run_rows = 0;
};

struct PipelineResult {
  enum class State { kComplete, kAlreadyComplete, kInterrupted, kDryRun };
  State state = State::kComplete;
  uint64_t rows = 0, written = 0, rejected = 0, new_tokens = 0;  //!< whole output (all runs)
  uint64_t resumed_rows = 0;       //!< rows committed by earlier runs
  uint64_t rows_this_run = 0, tokens_this_run = 0;
  uint64_t bytes_read = 0;         //!< input bytes read by this run (decompressed)
  QcCounts qc;
  std::vector<UnitCount> units;
  double seconds = 0;              //!< this run
  double make_seconds = 0;         //!< of which in the model (or baseline)
  nlohmann::ordered_json summary;  //!< OUT.summary.json
};

//! Runs (or resumes) the pipeline. A work dir made with other settings is an
//! InvalidArgument naming the changed settings (unless options.overwrite).
StatusOr<PipelineResult> RunFusePipeline(const PipelineOptions& options);

//! OUT.summary.json for output `out`.
std::string SummaryPathFor(const std::string& out);

}  // namespace capsfusion
