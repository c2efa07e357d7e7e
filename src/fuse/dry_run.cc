#include "fuse/dry_run.h"

#include <cmath>
#include <cstdio>

#include "fuse/durable_file.h"
#include "fuse/progress_line.h"

namespace capsfusion {

StatusOr<InputRowCount> CountInputRows(const std::vector<std::string>& inputs, const ReaderOptions& options,
                                       uint64_t count_limit_bytes, uint64_t sample_rows, uint64_t sample_bytes) {
  InputRowCount c;
  uint64_t total_bytes = 0;
  bool all_sized = true;
  for (const std::string& p : inputs) {
    long long size = p == "-" ? -1 : FileSize(p);
    if (size < 0) {
      all_sized = false;
      continue;
    }
    total_bytes += static_cast<uint64_t>(size);
  }
  if (all_sized && total_bytes > count_limit_bytes && sample_rows > 0 && sample_bytes > 0) {
    c.estimated = true;
    c.rows = static_cast<uint64_t>(std::llround(static_cast<double>(total_bytes) * sample_rows / sample_bytes));
    c.how = "estimated from file sizes (" + std::to_string(sample_bytes / sample_rows) +
            " bytes per row in the sample; compressed inputs hold more rows than this says)";
    return c;
  }
  ReaderOptions ro = options;
  ro.columns = ColumnSelection::kFieldMap;
  Record rec;
  Reject rej;
  for (const std::string& p : inputs) {
    auto reader = RecordReader::Open(p, ro);
    if (!reader.ok()) return reader.status();
    while ((*reader)->Next(&rec, &rej) != RecordReader::Result::kEnd) ++c.rows;
    if (!(*reader)->status().ok()) return (*reader)->status();
  }
  c.how = "counted";
  return c;
}

nlohmann::ordered_json ProjectDryRun(const DryRunFigures& f) {
  nlohmann::ordered_json j;
  j["dry_run"] = true;
  j["sample_rows"] = f.sample_rows;
  j["sample_seconds"] = f.sample_seconds;
  const double rate = f.sample_seconds > 0 ? f.sample_rows / f.sample_seconds : 0;
  j["rows_per_s"] = rate;
  j["tokens_per_s"] = f.sample_seconds > 0 ? f.sample_tokens / f.sample_seconds : 0;
  j["total_rows"] = f.total.rows;
  j["total_rows_estimated"] = f.total.estimated;
  j["total_rows_how"] = f.total.how;
  const double worker_seconds = rate > 0 ? f.total.rows / rate : 0;
  j["unit"] = f.unit;
  j["units_per_worker"] = f.units_per_worker;
  j["unit_hours"] = worker_seconds / 3600 * f.units_per_worker;
  j["workers"] = f.workers;
  j["wall_seconds"] = worker_seconds / std::max<uint32_t>(1, f.workers);
  j["price_per_hour"] = f.price_per_hour;
  j["cost"] = worker_seconds / 3600 * f.units_per_worker * f.price_per_hour;
  return j;
}

std::string DescribeDryRun(const nlohmann::ordered_json& j) {
  char buf[1024];
  std::string out;
  std::snprintf(buf, sizeof(buf), "dry run: fused %llu sample rows in %.2f s: %.2f rows/s, %.1f tokens/s (loading not counted)\n",
                static_cast<unsigned long long>(j["sample_rows"].get<uint64_t>()), j["sample_seconds"].get<double>(),
                j["rows_per_s"].get<double>(), j["tokens_per_s"].get<double>());
  out += buf;
  std::snprintf(buf, sizeof(buf), "input rows: %llu (%s)\n", static_cast<unsigned long long>(j["total_rows"].get<uint64_t>()),
                j["total_rows_how"].get<std::string>().c_str());
  out += buf;
  const std::string unit = j["unit"].get<std::string>();
  std::string per = unit == "core" ? " (" + std::to_string(static_cast<long long>(j["units_per_worker"].get<double>())) +
                                         " cores per worker)"
                                   : "";
  std::snprintf(buf, sizeof(buf), "projected: %.2f %s-hours%s; wall time with %u worker%s: %s\n",
                j["unit_hours"].get<double>(), unit.c_str(), per.c_str(), j["workers"].get<uint32_t>(),
                j["workers"].get<uint32_t>() == 1 ? "" : "s", FormatDuration(j["wall_seconds"].get<double>()).c_str());
  out += buf;
  if (j["price_per_hour"].get<double>() > 0) {
    std::snprintf(buf, sizeof(buf), "cost at %.4g per %s-hour: %.2f\n", j["price_per_hour"].get<double>(), unit.c_str(),
                  j["cost"].get<double>());
    out += buf;
  }
  return out;
}

}  // namespace capsfusion
