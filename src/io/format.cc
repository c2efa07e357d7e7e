// Format names and the guess from a file name.
#include <algorithm>
#include <cctype>

#include "capsfusion/reader.h"

namespace capsfusion {

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

StatusOr<Format> ParseFormat(const std::string& name) {
  std::string n = Lower(name);
  if (n == "auto" || n.empty()) return Format::kAuto;
  if (n == "json") return Format::kJson;
  if (n == "jsonl" || n == "ndjson") return Format::kJsonl;
  if (n == "csv") return Format::kCsv;
  if (n == "tsv") return Format::kTsv;
  if (n == "parquet") return Format::kParquet;
  if (n == "webdataset" || n == "wds" || n == "tar") return Format::kWebDataset;
  return Status::InvalidArgument("unknown format '" + name +
                                 "' (expected json, jsonl, csv, tsv, parquet, webdataset or auto)");
}

Format FormatFromPath(const std::string& path) {
  std::string p = Lower(path);
  if (EndsWith(p, ".tgz")) return Format::kWebDataset;
  for (const char* ext : {".gz", ".gzip", ".zst", ".zstd"}) {
    if (EndsWith(p, ext)) {
      p.resize(p.size() - std::string(ext).size());
      break;
    }
  }
  if (EndsWith(p, ".json")) return Format::kJson;
  if (EndsWith(p, ".jsonl") || EndsWith(p, ".ndjson")) return Format::kJsonl;
  if (EndsWith(p, ".csv")) return Format::kCsv;
  if (EndsWith(p, ".tsv") || EndsWith(p, ".tab")) return Format::kTsv;
  if (EndsWith(p, ".tar")) return Format::kWebDataset;
  if (EndsWith(p, ".parquet") || EndsWith(p, ".pq")) return Format::kParquet;
  return Format::kAuto;
}

const char* FormatName(Format format) {
  switch (format) {
    case Format::kAuto: return "auto";
    case Format::kJson: return "json";
    case Format::kJsonl: return "jsonl";
    case Format::kCsv: return "csv";
    case Format::kTsv: return "tsv";
    case Format::kParquet: return "parquet";
    case Format::kWebDataset: return "webdataset";
  }
  return "auto";
}

}  // namespace capsfusion
