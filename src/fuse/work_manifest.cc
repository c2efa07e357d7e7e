#include "fuse/work_manifest.h"

#include <cstdio>

#include "fuse/durable_file.h"

namespace capsfusion {

void AddUnitCount(std::vector<UnitCount>* units, const UnitCount& add) {
  if (!units->empty() && units->back().unit == add.unit) {
    UnitCount& u = units->back();
    u.rows += add.rows;
    u.written += add.written;
    u.rejected += add.rejected;
    return;
  }
  units->push_back(add);
}

nlohmann::ordered_json UnitCountsToJson(const std::vector<UnitCount>& units) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const UnitCount& u : units) a.push_back({u.unit, u.rows, u.written, u.rejected});
  return a;
}

StatusOr<std::vector<UnitCount>> UnitCountsFromJson(const nlohmann::json& j) {
  std::vector<UnitCount> out;
  if (!j.is_array()) return Status::Corruption("units: not an array");
  for (const auto& e : j) {
    if (!e.is_array() || e.size() != 4) return Status::Corruption("units: an entry is not [unit, rows, written, rejected]");
    for (const auto& v : e) {
      if (!v.is_number_unsigned()) return Status::Corruption("units: a count is not a number");
    }
    out.push_back({e[0].get<uint64_t>(), e[1].get<uint64_t>(), e[2].get<uint64_t>(), e[3].get<uint64_t>()});
  }
  return out;
}

uint64_t WorkManifest::rows_committed() const {
  uint64_t n = 0;
  for (const ChunkEntry& c : chunks) n += c.rows;
  return n;
}

nlohmann::ordered_json WorkManifest::ToJson() const {
  nlohmann::ordered_json j;
  j["format"] = "capsfusion-fuse-work";
  j["version"] = version;
  j["fingerprint"] = fingerprint;
  j["input_done"] = input_done;
  nlohmann::ordered_json cs = nlohmann::ordered_json::array();
  for (const ChunkEntry& c : chunks) {
    nlohmann::ordered_json e;
    e["file"] = c.file;
    e["rejects_file"] = c.rejects_file;
    e["first_row"] = c.first_row;
    e["rows"] = c.rows;
    e["written"] = c.written;
    e["rejected"] = c.rejected;
    e["new_tokens"] = c.new_tokens;
    e["qc"] = c.qc.ToJson();
    e["units"] = UnitCountsToJson(c.units);
    cs.push_back(std::move(e));
  }
  j["chunks"] = std::move(cs);
  return j;
}

StatusOr<WorkManifest> WorkManifest::FromJson(const std::string& text, const std::string& origin) {
  auto bad = [&](const std::string& why) { return Status::Corruption(origin + ": " + why); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (j.value("format", "") != "capsfusion-fuse-work") return bad("not a capsfusion fuse manifest");
  WorkManifest m;
  m.version = j.value("version", 0);
  if (m.version != kFormatVersion) return bad("format version " + std::to_string(m.version) + " (this build reads " +
                                              std::to_string(kFormatVersion) + ")");
  m.fingerprint = j.value("fingerprint", nlohmann::ordered_json::object());
  m.input_done = j.value("input_done", false);
  if (!j.contains("chunks") || !j["chunks"].is_array()) return bad("no chunk list");
  uint64_t next_row = 0;
  try {
    for (const auto& e : j["chunks"]) {
      ChunkEntry c;
      c.file = e.at("file").get<std::string>();
      c.rejects_file = e.value("rejects_file", "");
      c.first_row = e.at("first_row").get<uint64_t>();
      c.rows = e.at("rows").get<uint64_t>();
      c.written = e.at("written").get<uint64_t>();
      c.rejected = e.at("rejected").get<uint64_t>();
      c.new_tokens = e.value("new_tokens", uint64_t{0});
      c.qc = QcCounts::FromJson(e.value("qc", nlohmann::json::object()));
      auto units = UnitCountsFromJson(e.at("units"));
      if (!units.ok()) return bad(units.status().message());
      c.units = std::move(*units);
      if (c.first_row != next_row) return bad("chunk " + c.file + " does not start where the previous one ended");
      next_row += c.rows;
      m.chunks.push_back(std::move(c));
    }
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("malformed chunk entry: ") + e.what());
  }
  return m;
}

std::string WorkDirFor(const std::string& out) { return out + ".work"; }

std::string ChunkFileName(size_t index, bool rejects) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "chunk-%06zu%s", index, rejects ? ".rejects.jsonl" : ".jsonl");
  return buf;
}

Status SaveManifest(const std::string& work_dir, const WorkManifest& manifest) {
  return WriteFileAtomic(work_dir + "/manifest.json", manifest.ToJson().dump(1) + "\n");
}

StatusOr<WorkManifest> LoadManifest(const std::string& work_dir) {
  const std::string path = work_dir + "/manifest.json";
  if (!PathExists(path)) return Status::NotFound("no manifest in " + work_dir);
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  return WorkManifest::FromJson(*text, path);
}

}  // namespace capsfusion
