#include "fuse/row_sink.h"

#include "fuse/durable_file.h"

namespace capsfusion {

namespace {

class StreamSink : public RowSink {
 public:
  StreamSink(std::unique_ptr<RecordWriter> w, std::unique_ptr<RejectWriter> r) : writer_(std::move(w)), rejects_(std::move(r)) {}
  Status Write(PipelineWindow* window) override {
    for (PipelineRow& row : window->rows) {
      if (row.written) {
        if (writer_) CF_RETURN_IF_ERROR(writer_->Write(row.record));
      } else if (rejects_) {
        CF_RETURN_IF_ERROR(rejects_->Write(row.reject));
      }
    }
    return Status::OK();
  }
  Status Finish() override {
    Status s = writer_ ? writer_->Close() : Status::OK();
    Status r = rejects_ ? rejects_->Close() : Status::OK();
    return s.ok() ? r : s;
  }

 private:
  std::unique_ptr<RecordWriter> writer_;
  std::unique_ptr<RejectWriter> rejects_;
};

class ChunkSink : public RowSink {
 public:
  ChunkSink(std::string dir, WorkManifest* m) : dir_(std::move(dir)), manifest_(m) {}
  ~ChunkSink() override {
    // An uncommitted chunk is left as a temporary; the next run overwrites it.
    if (writer_) (void)writer_->Close();
    if (rejects_) (void)rejects_->Close();
  }

  Status Write(PipelineWindow* window) override {
    if (window->rows.empty()) return Status::OK();
    if (!writer_) CF_RETURN_IF_ERROR(Open(window->rows.front().shard_row));
    for (PipelineRow& row : window->rows) {
      UnitCount u{row.unit, 1, 0, 0};
      ++entry_.rows;
      if (row.written) {
        CF_RETURN_IF_ERROR(writer_->Write(row.record));
        ++entry_.written;
        ++u.written;
        entry_.new_tokens += row.new_tokens;
      } else {
        CF_RETURN_IF_ERROR(rejects_->Write(row.reject));
        ++entry_.rejected;
        ++u.rejected;
      }
      AddUnitCount(&entry_.units, u);
    }
    entry_.qc.Add(window->qc);
    if (window->chunk_end) return Commit();
    return Status::OK();
  }

  Status Finish() override { return writer_ ? Commit() : Status::OK(); }

 private:
  Status Open(uint64_t first_row) {
    if (first_row != manifest_->rows_committed()) {
      return Status::Internal("chunk starts at row " + std::to_string(first_row) + ", expected " +
                              std::to_string(manifest_->rows_committed()));
    }
    index_ = manifest_->chunks.size();
    entry_ = ChunkEntry();
    entry_.file = ChunkFileName(index_, false);
    entry_.first_row = first_row;
    WriterOptions wo;
    wo.format = Format::kJsonl;
    auto w = RecordWriter::Open(Tmp(entry_.file), wo);
    if (!w.ok()) return w.status();
    writer_ = std::move(*w);
    (void)RemoveFile(Tmp(ChunkFileName(index_, true)));
    rejects_ = std::make_unique<RejectWriter>(Tmp(ChunkFileName(index_, true)));
    return Status::OK();
  }

  std::string Tmp(const std::string& name) const { return dir_ + "/" + name + ".tmp"; }

  Status Commit() {
    Status s = writer_->Close();
    writer_.reset();
    Status r = rejects_->Close();
    const bool any_rejects = rejects_->count() > 0;
    rejects_.reset();
    CF_RETURN_IF_ERROR(s);
    CF_RETURN_IF_ERROR(r);
    if (any_rejects) {
      entry_.rejects_file = ChunkFileName(index_, true);
      CF_RETURN_IF_ERROR(SyncPath(Tmp(entry_.rejects_file)));
      CF_RETURN_IF_ERROR(DurableRename(Tmp(entry_.rejects_file), dir_ + "/" + entry_.rejects_file));
    }
    CF_RETURN_IF_ERROR(SyncPath(Tmp(entry_.file)));
    CF_RETURN_IF_ERROR(DurableRename(Tmp(entry_.file), dir_ + "/" + entry_.file));
    manifest_->chunks.push_back(entry_);
    return SaveManifest(dir_, *manifest_);
  }

  std::string dir_;
  WorkManifest* manifest_;
  size_t index_ = 0;
  ChunkEntry entry_;
  std::unique_ptr<RecordWriter> writer_;
  std::unique_ptr<RejectWriter> rejects_;
};

}  // namespace

std::unique_ptr<RowSink> MakeStreamSink(std::unique_ptr<RecordWriter> writer, std::unique_ptr<RejectWriter> rejects) {
  return std::make_unique<StreamSink>(std::move(writer), std::move(rejects));
}

std::unique_ptr<RowSink> MakeChunkSink(std::string work_dir, WorkManifest* manifest) {
  return std::make_unique<ChunkSink>(std::move(work_dir), manifest);
}

}  // namespace capsfusion
