#include "fuse/row_reader.h"

namespace capsfusion {

Status ReadShardRows(const RowReaderOptions& o, BoundedQueue<PipelineWindow>* out, std::atomic<uint64_t>* bytes_read,
                     RowReaderResult* result) {
  struct Closer {
    BoundedQueue<PipelineWindow>* q;
    ~Closer() { q->Close(); }
  } closer{out};
  const uint64_t unit_rows = o.shard_unit == 0 ? 1 : o.shard_unit;
  uint64_t global_row = 0, shard_row = 0, chunk_fill = 0, bytes_done = 0;
  PipelineWindow window;
  auto emit = [&](bool chunk_end) -> bool {
    if (window.rows.empty()) return true;
    window.chunk_end = chunk_end;
    if (chunk_end) chunk_fill = 0;
    bool ok = out->Push(std::move(window));
    window = PipelineWindow();
    return ok;
  };
  auto stopping = [&] { return o.stop != nullptr && o.stop->load() != 0; };

  for (size_t f = 0; f < o.inputs.size(); ++f) {
    if (o.shard_by == ShardBy::kFiles && f % o.shard_count != o.shard_index) continue;
    auto reader = RecordReader::Open(o.inputs[f], o.reader);
    if (!reader.ok()) return reader.status();
    PipelineRow row;
    for (;;) {
      if (stopping() || (o.max_rows > 0 && shard_row >= o.max_rows)) {
        emit(true);
        result->shard_rows = shard_row;
        return Status::OK();
      }
      auto r = (*reader)->Next(&row.record, &row.reject);
      if (r == RecordReader::Result::kEnd) break;
      const uint64_t unit = UnitOf(o.shard_by, unit_rows, global_row, f);
      ++global_row;
      if (o.shard_by == ShardBy::kRows && unit % o.shard_count != o.shard_index) continue;
      const uint64_t sr = shard_row++;
      if (sr < o.skip_rows) continue;
      row.shard_row = sr;
      row.unit = unit;
      row.read_ok = r == RecordReader::Result::kRecord;
      if (row.read_ok && o.maker != nullptr) row.prompt = o.maker->Prepare(row.record);
      window.rows.push_back(std::move(row));
      row = PipelineRow();
      ++chunk_fill;
      if (bytes_read != nullptr) bytes_read->store(bytes_done + (*reader)->bytes_read());
      const bool chunk_end = o.chunk_rows > 0 && chunk_fill >= o.chunk_rows;
      if (chunk_end || window.rows.size() >= o.window_rows) {
        if (!emit(chunk_end)) return Status::OK();  // cancelled downstream
      }
    }
    if (!(*reader)->status().ok()) return (*reader)->status();
    bytes_done += (*reader)->bytes_read();
  }
  emit(true);
  result->reached_end = true;
  result->shard_rows = shard_row;
  return Status::OK();
}

}  // namespace capsfusion
