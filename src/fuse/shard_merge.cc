#include "fuse/shard_merge.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include <nlohmann/json.hpp>

#include "capsfusion/reader.h"
#include "fuse/chunk_combiner.h"
#include "fuse/durable_file.h"
#include "fuse/pipeline.h"
#include "fuse/run_description.h"
#include "fuse/shard_layout.h"
#include "fuse/work_manifest.h"

namespace capsfusion {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string NumberList(const std::vector<uint32_t>& v) {
  std::string out;
  for (uint32_t x : v) out += (out.empty() ? "" : ", ") + std::to_string(x);
  return out;
}

// Rows of one shard's output (or rejects) file, read in order.
class RowStream {
 public:
  virtual ~RowStream() = default;
  //! Copies the next row to the merged output; false at the end.
  virtual StatusOr<bool> CopyNext() = 0;
};

class LineStream : public RowStream {
 public:
  LineStream(const std::string& path, std::ofstream* out) : in_(path, std::ios::binary), path_(path), out_(out) {}
  StatusOr<bool> CopyNext() override {
    if (!in_) return Status::IOError("cannot read " + path_);
    if (!std::getline(in_, line_)) return false;
    if (in_.eof()) return Status::Corruption(path_ + ": last row has no newline (file cut short?)");
    out_->write(line_.data(), static_cast<std::streamsize>(line_.size()));
    out_->put('\n');
    return true;
  }

 private:
  std::ifstream in_;
  std::string path_, line_;
  std::ofstream* out_;
};

class RecordStream : public RowStream {
 public:
  RecordStream(std::unique_ptr<RecordReader> reader, RecordWriter* out) : reader_(std::move(reader)), out_(out) {}
  StatusOr<bool> CopyNext() override {
    auto r = reader_->Next(&rec_, &rej_);
    if (r == RecordReader::Result::kEnd) {
      if (!reader_->status().ok()) return reader_->status();
      return false;
    }
    if (r == RecordReader::Result::kReject) return Status::Corruption(rej_.origin + ": " + rej_.reason);
    CF_RETURN_IF_ERROR(out_->Write(rec_));
    return true;
  }

 private:
  std::unique_ptr<RecordReader> reader_;
  RecordWriter* out_;
  Record rec_;
  Reject rej_;
};

struct ShardState {
  std::string path;
  nlohmann::json summary;
  std::vector<UnitCount> units;
};

Status FindShardCount(const std::string& output, uint32_t* count) {
  const size_t slash = output.find_last_of('/');
  const std::string prefix = slash == std::string::npos ? "" : output.substr(0, slash + 1);
  const std::string dir = prefix.empty() ? "." : prefix;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::NotFound("cannot list " + dir);
  std::set<uint32_t> counts;
  while (dirent* e = ::readdir(d)) {
    std::string name = prefix + e->d_name;
    for (const char* suffix : {".summary.json", ".work", ".rejects.jsonl"}) {
      if (EndsWith(name, suffix)) {
        name.resize(name.size() - std::string(suffix).size());
        break;
      }
    }
    uint32_t i = 0, n = 0;
    if (ParseShardOutputPath(output, name, &i, &n)) counts.insert(n);
  }
  ::closedir(d);
  if (counts.empty()) {
    return Status::NotFound("no shard outputs of " + output + " found (" + ShardOutputPath(output, 0, 2) +
                            " and so on; run `capsfusion fuse ... -o " + output + " --shard I/N` first)");
  }
  if (counts.size() > 1) {
    std::vector<uint32_t> v(counts.begin(), counts.end());
    return Status::InvalidArgument("shard outputs of " + output + " for different shard counts found (" + NumberList(v) +
                                   "); remove the stale ones");
  }
  *count = *counts.begin();
  return Status::OK();
}

}  // namespace

StatusOr<MergeResult> MergeShards(const MergeOptions& o) {
  uint32_t n = 0;
  CF_RETURN_IF_ERROR(FindShardCount(o.output, &n));
  std::vector<ShardState> shards(n);
  std::vector<uint32_t> missing;
  std::vector<std::string> incomplete;
  for (uint32_t i = 0; i < n; ++i) {
    ShardState& s = shards[i];
    s.path = ShardOutputPath(o.output, i, n);
    const std::string sum_path = SummaryPathFor(s.path);
    bool complete = false;
    if (PathExists(sum_path) && PathExists(s.path)) {
      auto text = ReadWholeFile(sum_path);
      if (!text.ok()) return text.status();
      s.summary = nlohmann::json::parse(*text, nullptr, false);
      complete = !s.summary.is_discarded() && s.summary.is_object() && s.summary.value("complete", false);
    }
    if (complete) {
      auto units = UnitCountsFromJson(s.summary.value("units", nlohmann::json::array()));
      if (!units.ok()) return Status::Corruption(sum_path + ": " + units.status().message());
      s.units = std::move(*units);
      continue;
    }
    const std::string work = WorkDirFor(s.path);
    if (!PathExists(work) && !PathExists(s.path) && !PathExists(sum_path)) {
      missing.push_back(i);
      continue;
    }
    auto m = LoadManifest(work);
    uint64_t rows = m.ok() ? m->rows_committed() : 0;
    incomplete.push_back("shard " + std::to_string(i) + " is incomplete (" + std::to_string(rows) + " of ? rows)");
  }
  if (!missing.empty() || !incomplete.empty()) {
    std::vector<std::string> parts;
    if (missing.size() == 1) parts.push_back("shard " + NumberList(missing) + " of " + std::to_string(n) + " is missing");
    if (missing.size() > 1) parts.push_back("shards " + NumberList(missing) + " of " + std::to_string(n) + " are missing");
    for (std::string& p : incomplete) parts.push_back(std::move(p));
    std::string msg;
    for (const std::string& p : parts) msg += (msg.empty() ? "" : "; ") + p;
    return Status::InvalidArgument(msg + "; nothing written");
  }
  const nlohmann::json& fp0 = shards[0].summary["fingerprint"];
  for (uint32_t i = 1; i < n; ++i) {
    auto changes = FingerprintChanges(fp0, shards[i].summary["fingerprint"], {"shard.index"});
    if (!changes.empty()) {
      std::string msg;
      for (const std::string& c : changes) msg += (msg.empty() ? "" : "; ") + c;
      return Status::InvalidArgument("shard " + std::to_string(i) + " was made with other settings than shard 0: " + msg +
                                     "; nothing written");
    }
  }

  // Unit order: every unit of every shard, by unit number.
  struct Piece {
    uint64_t unit;
    uint32_t shard;
    uint64_t rows, written, rejected;
  };
  std::vector<Piece> pieces;
  MergeResult res;
  res.shards = n;
  for (uint32_t i = 0; i < n; ++i) {
    for (const UnitCount& u : shards[i].units) pieces.push_back({u.unit, i, u.rows, u.written, u.rejected});
    res.rows += shards[i].summary.value("rows", uint64_t{0});
    res.written += shards[i].summary.value("written", uint64_t{0});
    res.rejected += shards[i].summary.value("rejected", uint64_t{0});
  }
  std::stable_sort(pieces.begin(), pieces.end(), [](const Piece& a, const Piece& b) { return a.unit < b.unit; });

  const std::string merged = o.merged.empty() ? o.output : o.merged;
  const std::string rejects = o.rejects.empty() ? merged + ".rejects.jsonl" : o.rejects;
  std::string stem, ext;
  SplitExtension(merged, &stem, &ext);
  const std::string tmp = stem + ".merging" + ext, rtmp = rejects + ".merging";
  auto fail = [&](Status s) {
    (void)RemoveFile(tmp);
    (void)RemoveFile(rtmp);
    return s;
  };

  const bool plain = IsPlainJsonl(merged, o.writer);
  std::ofstream line_out, reject_out;
  std::unique_ptr<RecordWriter> writer;
  if (plain) {
    line_out.open(tmp, std::ios::binary | std::ios::trunc);
    if (!line_out) return fail(Status::IOError("cannot create " + tmp));
  } else {
    auto w = RecordWriter::Open(tmp, o.writer);
    if (!w.ok()) return fail(w.status());
    writer = std::move(*w);
  }
  if (res.rejected > 0) {
    reject_out.open(rtmp, std::ios::binary | std::ios::trunc);
    if (!reject_out) return fail(Status::IOError("cannot create " + rtmp));
  }
  std::vector<std::unique_ptr<RowStream>> outs(n), rejs(n);
  for (uint32_t i = 0; i < n; ++i) {
    if (IsPlainJsonl(shards[i].path, WriterOptions()) && plain) {
      outs[i] = std::make_unique<LineStream>(shards[i].path, &line_out);
    } else {
      auto r = RecordReader::Open(shards[i].path, PassThroughReaderOptions(Format::kAuto));
      if (!r.ok()) return fail(r.status());
      if (plain) return fail(Status::InvalidArgument("merge into JSONL needs JSONL shard outputs"));
      outs[i] = std::make_unique<RecordStream>(std::move(*r), writer.get());
    }
    std::string rf = shards[i].summary.value("rejects_file", "");
    if (!rf.empty()) rejs[i] = std::make_unique<LineStream>(rf, &reject_out);
  }
  for (const Piece& p : pieces) {
    for (uint64_t k = 0; k < p.written; ++k) {
      auto more = outs[p.shard]->CopyNext();
      if (!more.ok()) return fail(more.status());
      if (!*more) return fail(Status::Corruption(shards[p.shard].path + " has fewer rows than its summary says"));
    }
    for (uint64_t k = 0; k < p.rejected; ++k) {
      if (!rejs[p.shard]) return fail(Status::Corruption("shard " + std::to_string(p.shard) + " has no rejects file"));
      auto more = rejs[p.shard]->CopyNext();
      if (!more.ok()) return fail(more.status());
      if (!*more) return fail(Status::Corruption("the rejects of shard " + std::to_string(p.shard) +
                                                 " have fewer rows than its summary says"));
    }
  }
  for (uint32_t i = 0; i < n; ++i) {
    auto more = outs[i]->CopyNext();
    if (!more.ok()) return fail(more.status());
    if (*more) return fail(Status::Corruption(shards[i].path + " has more rows than its summary says"));
  }
  if (plain) {
    line_out.close();
    if (!line_out) return fail(Status::IOError("cannot write " + tmp));
  } else {
    Status s = writer->Close();
    if (!s.ok()) return fail(s);
  }
  if (res.rejected > 0) {
    reject_out.close();
    if (!reject_out) return fail(Status::IOError("cannot write " + rtmp));
  }
  outs.clear();
  rejs.clear();
  Status s = SyncPath(tmp);
  if (s.ok()) s = DurableRename(tmp, merged);
  if (s.ok() && res.rejected > 0) s = SyncPath(rtmp);
  if (s.ok()) s = res.rejected > 0 ? DurableRename(rtmp, rejects) : RemoveFile(rejects);
  if (!s.ok()) return fail(s);

  nlohmann::ordered_json sum;
  sum["complete"] = true;
  sum["output"] = merged;
  sum["rejects_file"] = res.rejected > 0 ? rejects : "";
  sum["inputs"] = shards[0].summary.value("inputs", nlohmann::json::array());
  sum["method"] = shards[0].summary.value("method", "");
  sum["rows"] = res.rows;
  sum["written"] = res.written;
  sum["rejected"] = res.rejected;
  uint64_t tokens = 0;
  QcCounts qc;
  bool any_qc = false;
  std::vector<UnitCount> units;
  for (const Piece& p : pieces) AddUnitCount(&units, UnitCount{p.unit, p.rows, p.written, p.rejected});
  for (const ShardState& st : shards) {
    tokens += st.summary.value("new_tokens", uint64_t{0});
    if (st.summary.contains("qc")) {
      any_qc = true;
      qc.Add(QcCounts::FromJson(st.summary["qc"]));
    }
  }
  sum["new_tokens"] = tokens;
  if (any_qc) sum["qc"] = qc.ToJson();
  sum["merged_shards"] = n;
  sum["units"] = UnitCountsToJson(units);
  nlohmann::ordered_json fp = shards[0].summary["fingerprint"];
  if (fp.contains("shard")) fp["shard"].erase("index");
  sum["fingerprint"] = fp;
  sum["provenance"] = shards[0].summary.value("provenance", nlohmann::json::object());
  s = WriteFileAtomic(SummaryPathFor(merged), sum.dump(2) + "\n");
  if (!s.ok()) return s;
  return res;
}

}  // namespace capsfusion
