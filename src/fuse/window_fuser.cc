#include "fuse/window_fuser.h"

#include <algorithm>
#include <chrono>
#include <numeric>

namespace capsfusion {

Status WindowFuser::MakeSorted(PipelineWindow* w, const std::vector<size_t>& idx, bool retry,
                               std::vector<FusedCaption>* out) {
  out->assign(idx.size(), FusedCaption());
  std::vector<size_t> order(idx.size());
  std::iota(order.begin(), order.end(), 0);
  // Similar lengths batch together; ties keep input order, so batches are the
  // same whatever the thread timing.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return w->rows[idx[a]].prompt.tokens < w->rows[idx[b]].prompt.tokens;
  });
  const size_t batch = std::max<size_t>(1, maker_->batch_size());
  std::vector<const Record*> recs;
  std::vector<const PreparedPrompt*> prompts;
  for (size_t start = 0; start < order.size(); start += batch) {
    const size_t end = std::min(order.size(), start + batch);
    if (options_.stop != nullptr && options_.stop->load() != 0) return Status::Unavailable(kStopped);
    recs.clear();
    prompts.clear();
    for (size_t k = start; k < end; ++k) {
      const PipelineRow& row = w->rows[idx[order[k]]];
      recs.push_back(&row.record);
      prompts.push_back(&row.prompt);
    }
    auto t0 = std::chrono::steady_clock::now();
    auto made = maker_->Make(recs, prompts, retry);
    make_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!made.ok()) return made.status();
    if (made->size() != recs.size()) return Status::Internal("caption maker returned the wrong number of captions");
    for (size_t k = start; k < end; ++k) {
      FusedCaption& c = (*made)[k - start];
      const Record& rec = w->rows[idx[order[k]]].record;
      if (c.status.ok() && options_.consensus_choice.enabled) {
        ApplyConsensusChoice(options_.consensus_choice, options_.length_choice, rec.raw, rec.synthetic, &c);
      } else if (c.status.ok()) {
        ApplyLengthChoice(options_.length_choice, rec.raw, rec.synthetic, &c);
      }
      if (c.status.ok() && options_.reference_choice && !rec.references.empty()) {
        ApplyReferenceChoice(rec.references[0], &c);
      }
      if (c.alternatives.size() > options_.max_alternatives) c.alternatives.resize(options_.max_alternatives);
      (*out)[order[k]] = std::move(c);
    }
  }
  return Status::OK();
}

Status WindowFuser::Fuse(PipelineWindow* w) {
  std::vector<size_t> idx;
  for (size_t i = 0; i < w->rows.size(); ++i) {
    PipelineRow& row = w->rows[i];
    row.written = false;
    if (!row.read_ok) continue;  // the reader's reject is already filled in
    if (!row.prompt.status.ok()) {
      row.reject = Reject{row.record.origin, row.prompt.status.ToString(), row.record.raw};
      continue;
    }
    idx.push_back(i);
  }
  std::vector<FusedCaption> fused;
  CF_RETURN_IF_ERROR(MakeSorted(w, idx, false, &fused));

  std::vector<size_t> ok_rows;
  std::vector<QcItem> items;
  for (size_t k = 0; k < idx.size(); ++k) {
    PipelineRow& row = w->rows[idx[k]];
    if (!fused[k].status.ok()) {
      row.reject = Reject{row.record.origin, fused[k].status.ToString(), row.record.raw};
      continue;
    }
    ok_rows.push_back(idx[k]);
    QcItem it;
    it.raw = row.record.raw;
    it.synthetic = row.record.synthetic;
    it.fused = std::move(fused[k]);
    items.push_back(std::move(it));
  }

  if (options_.qc.enabled) {
    QcRefuse refuse;
    if (maker_->can_retry()) {
      refuse = [&](const std::vector<size_t>& which, std::vector<FusedCaption>* redo) -> Status {
        std::vector<size_t> rows;
        for (size_t k : which) rows.push_back(ok_rows[k]);
        return MakeSorted(w, rows, true, redo);
      };
    }
    CF_RETURN_IF_ERROR(RunQc(options_.qc, &items, refuse, &w->qc));
  } else {
    for (QcItem& it : items) it.text = it.fused.text;
  }

  for (size_t k = 0; k < ok_rows.size(); ++k) {
    PipelineRow& row = w->rows[ok_rows[k]];
    QcItem& it = items[k];
    row.new_tokens = it.fused.new_tokens;
    if (options_.qc.enabled && it.action == QcAction::kDrop) {
      row.reject = Reject{row.record.origin, "qc drop: " + QcReasonList(it.result), it.fused.text};
      continue;
    }
    row.record.SetString(options_.output_field, it.text);
    if (options_.qc.enabled) row.record.Set("qc_reasons", it.result.ToJson());
    if (!options_.row_provenance.empty()) row.record.Set("capsfusion_provenance", options_.row_provenance);
    row.written = true;
  }
  return Status::OK();
}

}  // namespace capsfusion
