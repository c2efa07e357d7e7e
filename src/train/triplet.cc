#include "train/triplet.h"

#include <algorithm>

#include "capsfusion/reader.h"
#include "train/leak_filter.h"
#include "train/rng.h"

namespace capsfusion::train {

StatusOr<std::vector<Triplet>> LoadTriplets(const std::vector<std::string>& files, const DataOptions& options,
                                            LeakMode leak, size_t max_rows, LoadStats* stats) {
  LoadStats local;
  if (stats == nullptr) stats = &local;
  *stats = LoadStats{};
  auto format = ParseFormat(options.format);
  if (!format.ok()) return format.status();
  ReaderOptions ropt;
  ropt.format = *format;
  ropt.fields.raw = options.raw_field;
  ropt.fields.synthetic = options.synthetic_field;
  ropt.fields.references = {options.target_field};
  ropt.require_references = true;

  std::vector<Triplet> out;
  for (const std::string& path : files) {
    auto reader = RecordReader::Open(path, ropt);
    if (!reader.ok()) return reader.status();
    Record rec;
    Reject rej;
    for (;;) {
      if (max_rows != 0 && out.size() >= max_rows) break;
      auto r = (*reader)->Next(&rec, &rej);
      if (r == RecordReader::Result::kEnd) break;
      if (r == RecordReader::Result::kReject) {
        ++stats->rejected;
        continue;
      }
      if (rec.references.empty() || rec.raw.empty() || rec.synthetic.empty() || rec.references[0].empty()) {
        ++stats->rejected;
        continue;
      }
      Triplet t{rec.raw, rec.synthetic, rec.references[0], rec.origin};
      if (leak != LeakMode::kKeep && IsPromptLeak(t.target, t.raw, t.synthetic)) {
        if (leak == LeakMode::kDrop) {
          ++stats->leaks_dropped;
          continue;
        }
        t.target = RepairPromptLeak(t.target, t.raw, t.synthetic);
        if (t.target.empty()) {
          ++stats->leaks_dropped;
          continue;
        }
        ++stats->leaks_repaired;
      }
      out.push_back(std::move(t));
    }
    if (!(*reader)->status().ok()) return (*reader)->status().WithContext(path);
  }
  stats->rows = out.size();
  if (out.empty()) return Status::InvalidArgument("no usable rows in the training data (fields " +
                                                  options.raw_field + ", " + options.synthetic_field + ", " +
                                                  options.target_field + ")");
  return out;
}

std::vector<Triplet> HoldOut(std::vector<Triplet>* rows, double fraction, uint64_t seed) {
  std::vector<size_t> idx(rows->size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  Rng rng = Rng::For(seed, 0xde5);
  rng.Shuffle(&idx);
  size_t n_dev = std::max<size_t>(1, static_cast<size_t>(fraction * rows->size()));
  if (n_dev >= rows->size()) n_dev = rows->size() / 2;
  std::vector<bool> is_dev(rows->size(), false);
  for (size_t i = 0; i < n_dev; ++i) is_dev[idx[i]] = true;
  std::vector<Triplet> train, dev;
  for (size_t i = 0; i < rows->size(); ++i) (is_dev[i] ? dev : train).push_back(std::move((*rows)[i]));
  *rows = std::move(train);
  return dev;
}

}  // namespace capsfusion::train
