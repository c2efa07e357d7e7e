// How a sharded `capsfusion fuse` run cuts its input into units and names its
// files: unit u belongs to shard u mod N; shard I of N writes OUT with
// ".shard-IIIII-of-NNNNN" inserted before the extension.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "capsfusion/status.h"

namespace capsfusion {

//! What one unit of work is.
enum class ShardBy {
  kAuto,   //!< files when there are at least N input files, else rows
  kRows,   //!< a unit is --shard-unit consecutive input rows (rejected rows count)
  kFiles,  //!< a unit is one input file
};

//! Parses "rows", "files" or "auto".
StatusOr<ShardBy> ParseShardBy(std::string_view name);
const char* ShardByName(ShardBy by);
//! kAuto resolved for `input_files` inputs and `shard_count` shards.
ShardBy ResolveShardBy(ShardBy by, size_t input_files, uint32_t shard_count);

//! `output` with ".shard-IIIII-of-NNNNN" before its extension (a trailing .gz
//! or .zst stays last: fused.jsonl.zst -> fused.shard-00002-of-00004.jsonl.zst).
//! `output` itself when count is 1 or output is "-".
std::string ShardOutputPath(const std::string& output, uint32_t index, uint32_t count);

//! Splits a path into the part before and the part from its extension
//! ("dir/fused.jsonl.zst" -> {"dir/fused", ".jsonl.zst"}).
void SplitExtension(const std::string& path, std::string* stem, std::string* extension);

//! The shard-output naming of `output` parsed back: true when `candidate` is
//! ShardOutputPath(output, i, n) for some i, n (returned).
bool ParseShardOutputPath(const std::string& output, const std::string& candidate, uint32_t* index, uint32_t* count);

//! Which unit input row `row` (0-based over all inputs) of input file `file` is in.
inline uint64_t UnitOf(ShardBy by, uint64_t unit_rows, uint64_t row, uint64_t file) {
  return by == ShardBy::kFiles ? file : row / unit_rows;
}

}  // namespace capsfusion
