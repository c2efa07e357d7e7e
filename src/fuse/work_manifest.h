// The state of a resumable `capsfusion fuse` run, kept in OUT.work/manifest.json:
// the settings fingerprint and the committed chunks (each a contiguous range
// of the shard's input rows, with its counts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capsfusion/status.h"
#include "fuse/qc_stage.h"

namespace capsfusion {

//! Rows of one unit (see shard_layout.h) a chunk or shard read, wrote and rejected.
struct UnitCount {
  uint64_t unit = 0, rows = 0, written = 0, rejected = 0;
};

//! Adds counts for `unit`, merging with the last entry when it is the same unit.
void AddUnitCount(std::vector<UnitCount>* units, const UnitCount& add);
nlohmann::ordered_json UnitCountsToJson(const std::vector<UnitCount>& units);
StatusOr<std::vector<UnitCount>> UnitCountsFromJson(const nlohmann::json& j);

struct ChunkEntry {
  std::string file;          //!< chunk-NNNNNN.jsonl (relative to the work dir)
  std::string rejects_file;  //!< chunk-NNNNNN.rejects.jsonl, or empty when none
  uint64_t first_row = 0;    //!< first of the shard's input rows it covers
  uint64_t rows = 0;         //!< input rows read
  uint64_t written = 0, rejected = 0, new_tokens = 0;
  QcCounts qc;
  std::vector<UnitCount> units;
};

struct WorkManifest {
  static constexpr int kFormatVersion = 1;
  int version = kFormatVersion;
  nlohmann::ordered_json fingerprint;
  std::vector<ChunkEntry> chunks;
  bool input_done = false;  //!< every input row is in a committed chunk

  //! The shard's input rows the committed chunks cover.
  uint64_t rows_committed() const;
  nlohmann::ordered_json ToJson() const;
  static StatusOr<WorkManifest> FromJson(const std::string& text, const std::string& origin);
};

//! Work dir of output `out`: "out.work".
std::string WorkDirFor(const std::string& out);
//! "chunk-000012.jsonl" / "chunk-000012.rejects.jsonl"
std::string ChunkFileName(size_t index, bool rejects);

Status SaveManifest(const std::string& work_dir, const WorkManifest& manifest);
//! NotFound when the work dir has no manifest.
StatusOr<WorkManifest> LoadManifest(const std::string& work_dir);

}  // namespace capsfusion
