// RecordBuilder: turns one parsed row (JSON members or CSV cells) into a
// Record: keeps every field in input order, picks the mapped captions,
// decodes and normalises them, and makes a stable id when the row has none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capsfusion/reader.h"
#include "capsfusion/record.h"
#include "io/json_scanner.h"

namespace capsfusion::io {

//! Reusable per reader: keeps scratch buffers between rows.
class RecordBuilder {
 public:
  //! Uses options.fields, the require_* switches, decode_entities, max_field_bytes.
  explicit RecordBuilder(const ReaderOptions& options);

  //! Builds `*record` from the members of a scanned JSON object. A repeated
  //! key keeps its first position and takes the last value. False with a
  //! one-line `*reason` when the row must be rejected.
  bool FromJson(const std::vector<JsonMember>& members, Record* record, std::string* reason);

  //! Builds `*record` from CSV/TSV cells named by the header (same length).
  bool FromCells(const std::vector<std::string>& names, const std::vector<std::string>& cells,
                 Record* record, std::string* reason);

 private:
  bool Finish(Record* record, std::string* reason);
  // Checks field `index` (-1: absent) as a caption: presence, type, size.
  bool CheckCaption(const Record& record, int index, const std::string& name, bool required,
                    std::string* reason);

  ReaderOptions options_;
  // Per field of the record being built: its JSON type and its value (the
  // decoded string for strings, the JSON text otherwise).
  std::vector<JsonType> types_;
  std::vector<std::string_view> values_;
  std::vector<std::string> decoded_;  // storage for strings with escapes
  std::string key_;
  std::string scratch_;
  std::string content_;  // the bytes the stable id hashes
};

}  // namespace capsfusion::io
