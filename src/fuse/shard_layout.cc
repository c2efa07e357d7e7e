#include "fuse/shard_layout.h"

#include <cstdio>

namespace capsfusion {

StatusOr<ShardBy> ParseShardBy(std::string_view name) {
  if (name == "auto") return ShardBy::kAuto;
  if (name == "rows") return ShardBy::kRows;
  if (name == "files") return ShardBy::kFiles;
  return Status::InvalidArgument("unknown --shard-by '" + std::string(name) + "' (rows, files or auto)");
}

const char* ShardByName(ShardBy by) {
  switch (by) {
    case ShardBy::kAuto: return "auto";
    case ShardBy::kRows: return "rows";
    case ShardBy::kFiles: return "files";
  }
  return "?";
}

ShardBy ResolveShardBy(ShardBy by, size_t input_files, uint32_t shard_count) {
  if (by != ShardBy::kAuto) return by;
  return input_files >= shard_count && shard_count > 1 ? ShardBy::kFiles : ShardBy::kRows;
}

void SplitExtension(const std::string& path, std::string* stem, std::string* extension) {
  size_t slash = path.find_last_of('/');
  size_t base = slash == std::string::npos ? 0 : slash + 1;
  size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || dot <= base) {
    *stem = path;
    extension->clear();
    return;
  }
  std::string last = path.substr(dot);
  if (last == ".gz" || last == ".zst") {
    size_t prev = dot > base ? path.find_last_of('.', dot - 1) : std::string::npos;
    if (prev != std::string::npos && prev > base) dot = prev;
  }
  *stem = path.substr(0, dot);
  *extension = path.substr(dot);
}

std::string ShardOutputPath(const std::string& output, uint32_t index, uint32_t count) {
  if (count <= 1 || output == "-") return output;
  std::string stem, ext;
  SplitExtension(output, &stem, &ext);
  char mid[64];
  std::snprintf(mid, sizeof(mid), ".shard-%05u-of-%05u", index, count);
  return stem + mid + ext;
}

bool ParseShardOutputPath(const std::string& output, const std::string& candidate, uint32_t* index, uint32_t* count) {
  std::string stem, ext;
  SplitExtension(output, &stem, &ext);
  const std::string tag = ".shard-";
  if (candidate.size() != stem.size() + tag.size() + 5 + 4 + 5 + ext.size()) return false;
  if (candidate.compare(0, stem.size(), stem) != 0) return false;
  if (candidate.compare(candidate.size() - ext.size(), ext.size(), ext) != 0) return false;
  std::string mid = candidate.substr(stem.size(), candidate.size() - stem.size() - ext.size());
  unsigned i = 0, n = 0;
  char tail = 0;
  if (std::sscanf(mid.c_str(), ".shard-%5u-of-%5u%c", &i, &n, &tail) != 2) return false;
  if (n < 2 || i >= n || mid != ShardOutputPath("", i, n)) return false;
  *index = i;
  *count = n;
  return true;
}

}  // namespace capsfusion
