#include "fuse/chunk_combiner.h"

#include <fcntl.h>
#include <unistd.h>

#include "fuse/durable_file.h"
#include "fuse/shard_layout.h"

namespace capsfusion {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status ConcatFiles(const std::vector<std::string>& parts, const std::string& to) {
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError("cannot create " + to);
  for (const std::string& p : parts) {
    Status s = AppendFileTo(p, fd);
    if (!s.ok()) {
      ::close(fd);
      return s;
    }
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return Status::IOError("cannot fsync " + to);
  }
  if (::close(fd) != 0) return Status::IOError("cannot close " + to);
  return Status::OK();
}

}  // namespace

ReaderOptions PassThroughReaderOptions(Format format) {
  ReaderOptions r;
  r.format = format;
  r.require_raw = false;
  r.require_synthetic = false;
  r.decode_entities = false;
  r.max_field_bytes = size_t{1} << 40;
  r.max_row_bytes = size_t{1} << 40;
  r.columns = ColumnSelection::kAll;
  return r;
}

bool IsPlainJsonl(const std::string& path, const WriterOptions& options) {
  if (path == "-") return false;
  if (EndsWith(path, ".gz") || EndsWith(path, ".zst")) return false;
  Format f = options.format != Format::kAuto ? options.format : FormatFromPath(path);
  return f == Format::kJsonl || f == Format::kAuto;
}

Status CopyJsonlRows(const std::vector<std::string>& parts, RecordWriter* writer) {
  const ReaderOptions ropt = PassThroughReaderOptions(Format::kJsonl);
  Record rec;
  Reject rej;
  for (const std::string& p : parts) {
    auto reader = RecordReader::Open(p, ropt);
    if (!reader.ok()) return reader.status();
    for (;;) {
      auto r = (*reader)->Next(&rec, &rej);
      if (r == RecordReader::Result::kEnd) break;
      if (r == RecordReader::Result::kReject) return Status::Corruption(rej.origin + ": " + rej.reason);
      CF_RETURN_IF_ERROR(writer->Write(rec));
    }
    CF_RETURN_IF_ERROR((*reader)->status());
  }
  return Status::OK();
}

Status CombineChunks(const std::string& work_dir, const WorkManifest& m, const std::string& output,
                     const WriterOptions& options, const std::string& rejects_path) {
  std::vector<std::string> parts, reject_parts;
  for (const ChunkEntry& c : m.chunks) {
    parts.push_back(work_dir + "/" + c.file);
    if (!c.rejects_file.empty()) reject_parts.push_back(work_dir + "/" + c.rejects_file);
  }
  std::string stem, ext;
  SplitExtension(output, &stem, &ext);
  const std::string tmp = work_dir + "/combined" + ext;
  if (IsPlainJsonl(output, options)) {
    CF_RETURN_IF_ERROR(ConcatFiles(parts, tmp));
  } else {
    auto writer = RecordWriter::Open(tmp, options);
    if (!writer.ok()) return writer.status();
    Status s = CopyJsonlRows(parts, writer->get());
    Status c = (*writer)->Close();
    CF_RETURN_IF_ERROR(s);
    CF_RETURN_IF_ERROR(c);
    CF_RETURN_IF_ERROR(SyncPath(tmp));
  }
  CF_RETURN_IF_ERROR(DurableRename(tmp, output));
  if (reject_parts.empty()) return RemoveFile(rejects_path);
  const std::string rtmp = work_dir + "/combined.rejects.jsonl";
  CF_RETURN_IF_ERROR(ConcatFiles(reject_parts, rtmp));
  return DurableRename(rtmp, rejects_path);
}

}  // namespace capsfusion
