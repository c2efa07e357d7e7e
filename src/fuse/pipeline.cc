#include "fuse/pipeline.h"

#include <chrono>
#include <thread>

#include "fuse/bounded_queue.h"
#include "fuse/chunk_combiner.h"
#include "fuse/durable_file.h"
#include "fuse/row_reader.h"
#include "fuse/row_sink.h"
#include "fuse/run_description.h"
#include "fuse/window_fuser.h"

namespace capsfusion {

namespace {

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

void Totals(const WorkManifest& m, PipelineResult* r) {
  r->rows = r->written = r->rejected = r->new_tokens = 0;
  r->qc = QcCounts();
  r->units.clear();
  for (const ChunkEntry& c : m.chunks) {
    r->rows += c.rows;
    r->written += c.written;
    r->rejected += c.rejected;
    r->new_tokens += c.new_tokens;
    r->qc.Add(c.qc);
    for (const UnitCount& u : c.units) AddUnitCount(&r->units, u);
  }
}

nlohmann::ordered_json MakeSummary(const PipelineOptions& o, const PipelineResult& r, bool complete) {
  nlohmann::ordered_json j;
  j["complete"] = complete;
  j["output"] = o.output;
  j["rejects_file"] = r.rejected > 0 ? o.rejects : "";
  j["inputs"] = o.inputs;
  j["method"] = o.fingerprint.value("method", "");
  j["rows"] = r.rows;
  j["written"] = r.written;
  j["rejected"] = r.rejected;
  j["new_tokens"] = r.new_tokens;
  if (o.qc.enabled) j["qc"] = r.qc.ToJson();
  j["shard"] = {{"index", o.shard_index}, {"count", o.shard_count}, {"by", ShardByName(o.shard_by)},
                {"unit_rows", o.shard_unit}};
  j["units"] = UnitCountsToJson(r.units);
  j["resumed_rows"] = r.resumed_rows;
  j["seconds"] = r.seconds;
  j["fingerprint"] = o.fingerprint;
  j["provenance"] = o.provenance;
  return j;
}

// Looks at an existing summary: kAlreadyComplete, a refusal, or nothing (go on).
StatusOr<bool> CheckExistingSummary(const PipelineOptions& o, PipelineResult* res) {
  const std::string path = SummaryPathFor(o.output);
  if (!PathExists(path)) return false;
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.value("complete", false) || !PathExists(o.output)) return false;
  auto changes = FingerprintChanges(j.value("fingerprint", nlohmann::json::object()), o.fingerprint);
  if (!changes.empty()) {
    return Status::InvalidArgument(o.output + " is complete but was made with other settings: " + Join(changes, "; ") +
                                   ". Use --overwrite to replace it");
  }
  res->state = PipelineResult::State::kAlreadyComplete;
  res->rows = j.value("rows", uint64_t{0});
  res->written = j.value("written", uint64_t{0});
  res->rejected = j.value("rejected", uint64_t{0});
  res->new_tokens = j.value("new_tokens", uint64_t{0});
  res->qc = QcCounts::FromJson(j.value("qc", nlohmann::json::object()));
  res->summary = j;
  return true;
}

}  // namespace

std::string SummaryPathFor(const std::string& out) { return out + ".summary.json"; }

StatusOr<PipelineResult> RunFusePipeline(const PipelineOptions& o) {
  if (o.maker == nullptr) return Status::InvalidArgument("pipeline: no caption maker");
  const auto start = std::chrono::steady_clock::now();
  PipelineResult res;
  const bool dry = o.dry_run_rows > 0;
  const bool chunked = o.output != "-" && !dry;
  const std::string work = WorkDirFor(o.output);
  WorkManifest manifest;

  if (chunked) {
    if (o.overwrite) {
      CF_RETURN_IF_ERROR(RemoveTree(work));
      CF_RETURN_IF_ERROR(RemoveFile(SummaryPathFor(o.output)));
    }
    auto done = CheckExistingSummary(o, &res);
    if (!done.ok()) return done.status();
    if (*done) {
      if (!o.keep_work) CF_RETURN_IF_ERROR(RemoveTree(work));  // left by a run stopped before it cleaned up
      return res;
    }
    auto loaded = LoadManifest(work);
    if (loaded.ok() && loaded->chunks.empty()) {
      // Nothing was committed: start afresh with these settings.
      loaded = Status::NotFound("empty work dir");
    }
    if (loaded.ok()) {
      auto changes = FingerprintChanges(loaded->fingerprint, o.fingerprint);
      if (!changes.empty()) {
        return Status::InvalidArgument("the unfinished run in " + work + " was started with other settings: " +
                                       Join(changes, "; ") +
                                       ". Rerun it with the same settings to resume, or use --overwrite to start over");
      }
      manifest = std::move(*loaded);
    } else if (loaded.status().code() == Status::Code::kNotFound) {
      CF_RETURN_IF_ERROR(RemoveTree(work));
      CF_RETURN_IF_ERROR(MakeDirs(work));
      manifest.fingerprint = o.fingerprint;
      CF_RETURN_IF_ERROR(SaveManifest(work, manifest));
    } else {
      return Status(loaded.status().code(),
                    loaded.status().message() + " (use --overwrite to start over)");
    }
    CF_RETURN_IF_ERROR(RemoveFile(SummaryPathFor(o.output)));
    res.resumed_rows = manifest.rows_committed();
  }

  bool reached_end = manifest.input_done;
  uint64_t run_written = 0, run_rejected = 0;
  QcCounts run_qc;
  std::vector<UnitCount> run_units;
  if (!manifest.input_done) {
    std::unique_ptr<RowSink> sink;
    if (chunked) {
      const Format out_format = o.writer.format != Format::kAuto ? o.writer.format : FormatFromPath(o.output);
      sink = MakeChunkSink(work, &manifest, out_format == Format::kWebDataset);
    } else if (dry) {
      sink = MakeStreamSink(nullptr, nullptr);
    } else {
      auto w = RecordWriter::Open(o.output, o.writer);
      if (!w.ok()) return w.status();
      sink = MakeStreamSink(std::move(*w), std::make_unique<RejectWriter>(o.rejects));
    }
    RowReaderOptions ro;
    ro.inputs = o.inputs;
    ro.reader = o.reader;
    ro.shard_index = o.shard_index;
    ro.shard_count = o.shard_count;
    ro.shard_by = o.shard_by;
    ro.shard_unit = o.shard_unit;
    ro.skip_rows = manifest.rows_committed();
    ro.chunk_rows = chunked ? o.chunk_rows : 0;
    ro.window_rows = std::max<size_t>(1, o.maker->batch_size() * std::max<size_t>(1, o.window_batches));
    ro.max_rows = o.dry_run_rows;
    ro.maker = o.maker;
    ro.stop = o.stop;

    WindowFuserOptions wo;
    wo.output_field = o.output_field;
    wo.qc = o.qc;
    wo.length_choice = o.length_choice;
    wo.consensus_choice = o.consensus_choice;
    wo.reference_choice = o.reference_choice;
    wo.max_alternatives = o.max_alternatives;
    if (o.provenance_row) wo.row_provenance = o.provenance.dump();
    wo.stop = o.stop;
    WindowFuser fuser(o.maker, wo);

    BoundedQueue<PipelineWindow> to_model(o.queue_windows), to_writer(o.queue_windows);
    std::atomic<uint64_t> local_bytes{0};
    std::atomic<uint64_t>& bytes_read = o.bytes_read != nullptr ? *o.bytes_read : local_bytes;
    RowReaderResult rr;
    Status reader_status, writer_status, model_status;
    std::thread reader([&] { reader_status = ReadShardRows(ro, &to_model, &bytes_read, &rr); });
    std::thread writer([&] {
      PipelineWindow w;
      while (to_writer.Pop(&w)) {
        uint64_t tokens = 0;
        for (const PipelineRow& row : w.rows) {
          tokens += row.new_tokens;
          AddUnitCount(&run_units, UnitCount{row.unit, 1, row.written ? 1u : 0u, row.written ? 0u : 1u});
          (row.written ? run_written : run_rejected) += 1;
        }
        run_qc.Add(w.qc);
        Status s = sink->Write(&w);
        if (!s.ok()) {
          writer_status = s;
          to_writer.Cancel();
          to_model.Cancel();
          return;
        }
        res.rows_this_run += w.rows.size();
        res.tokens_this_run += tokens;
        if (o.progress != nullptr) o.progress->Add(w.rows.size(), tokens, w.qc.flagged);
      }
      writer_status = sink->Finish();
    });
    PipelineWindow w;
    bool stopped = false;
    while (to_model.Pop(&w)) {
      if (o.stop != nullptr && o.stop->load() != 0) {
        // Stop now: rows read but not fused are left for the next run; the
        // writer commits what was fused as a (shorter) chunk.
        stopped = true;
        to_model.Cancel();
        break;
      }
      Status s = fuser.Fuse(&w);
      if (WindowFuser::IsStopped(s)) {
        stopped = true;
        to_model.Cancel();
        break;
      }
      if (!s.ok()) {
        model_status = s;
        to_model.Cancel();
        break;
      }
      if (!to_writer.Push(std::move(w))) break;
    }
    to_writer.Close();
    reader.join();
    writer.join();
    res.make_seconds = fuser.make_seconds();
    res.bytes_read = bytes_read.load();
    CF_RETURN_IF_ERROR(writer_status);
    CF_RETURN_IF_ERROR(model_status);
    CF_RETURN_IF_ERROR(reader_status);
    reached_end = rr.reached_end && !stopped;
    if (chunked && reached_end) {
      manifest.input_done = true;
      CF_RETURN_IF_ERROR(SaveManifest(work, manifest));
    }
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (!chunked) {
    res.rows = res.rows_this_run;
    res.written = run_written;
    res.rejected = run_rejected;
    res.new_tokens = res.tokens_this_run;
    res.qc = run_qc;
    res.units = run_units;
    res.state = dry ? PipelineResult::State::kDryRun
                    : (reached_end ? PipelineResult::State::kComplete : PipelineResult::State::kInterrupted);
    res.summary = MakeSummary(o, res, res.state == PipelineResult::State::kComplete);
    return res;
  }
  Totals(manifest, &res);
  if (!reached_end) {
    res.state = PipelineResult::State::kInterrupted;
    res.summary = MakeSummary(o, res, false);
    return res;
  }
  CF_RETURN_IF_ERROR(CombineChunks(work, manifest, o.output, o.writer, o.rejects));
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  res.state = PipelineResult::State::kComplete;
  res.summary = MakeSummary(o, res, true);
  CF_RETURN_IF_ERROR(WriteFileAtomic(SummaryPathFor(o.output), res.summary.dump(2) + "\n"));
  if (!o.keep_work) CF_RETURN_IF_ERROR(RemoveTree(work));
  return res;
}

}  // namespace capsfusion
