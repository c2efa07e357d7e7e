// Helpers for the Parquet tests: records from JSONL text, writing records
// with RecordWriter, comparing JSON values as Parquet types see them.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/writer.h"
#include "io_test_helpers.h"

namespace capsfusion::testing {

//! Records whose fields are the members of each JSON object in `rows`.
inline std::vector<Record> RecordsFromJson(const std::vector<nlohmann::ordered_json>& rows) {
  std::vector<Record> out;
  for (const auto& row : rows) {
    Record r;
    for (const auto& [k, v] : row.items()) r.fields.push_back(Field{k, v.dump()});
    out.push_back(std::move(r));
  }
  return out;
}

inline Status WriteRecords(const std::string& path, const std::vector<Record>& records, const WriterOptions& options) {
  auto w = RecordWriter::Open(path, options);
  if (!w.ok()) return w.status();
  for (const Record& r : records) {
    Status s = (*w)->Write(r);
    if (!s.ok()) return s;
  }
  return (*w)->Close();
}

//! Reader options that accept any row (no caption needed).
inline ReaderOptions AnyRow() {
  ReaderOptions o;
  o.require_raw = false;
  o.require_synthetic = false;
  return o;
}

//! Equal as values: strings, booleans, nulls exactly; integers exactly;
//! other numbers as doubles (or as floats when `as_float`).
inline bool SameValue(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b, bool as_float = false) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_integer() && b.is_number_integer()) return a.get<int64_t>() == b.get<int64_t>();
    if (as_float) return static_cast<float>(a.get<double>()) == static_cast<float>(b.get<double>());
    return a.get<double>() == b.get<double>();
  }
  return a == b;
}

//! Compares a record's fields with an expected object, field by field; the
//! record may have extra fields listed in `ignore`. Returns "" or the first difference.
inline std::string CompareRow(const Record& got, const nlohmann::ordered_json& want,
                              const std::vector<std::string>& float_fields = {}) {
  for (const auto& [k, v] : want.items()) {
    const Field* f = got.Find(k);
    if (f == nullptr) return "missing field " + k;
    auto g = nlohmann::ordered_json::parse(f->json, nullptr, false);
    if (g.is_discarded()) return "field " + k + " is not JSON: " + f->json;
    bool as_float = std::find(float_fields.begin(), float_fields.end(), k) != float_fields.end();
    if (!SameValue(g, v, as_float)) return "field " + k + ": got " + f->json + ", want " + v.dump();
  }
  return "";
}

}  // namespace capsfusion::testing
