// Record: one image-text row as capsfusion sees it.
//
// A record carries the three captions fusion cares about (raw web alt-text,
// synthetic captioner output, optional reference captions) plus every input
// field exactly as it was read, so that output rows pass the input through
// untouched and only add fields (the fused caption "capsfusion", QC results,
// provenance).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capsfusion {

//! One named field. `json` is the value as JSON text: strings are quoted and
//! escaped ("\"a cat\""), numbers, booleans, null, arrays and objects keep the
//! exact text they had in a JSON input. CSV and TSV values are JSON strings.
struct Field {
  std::string name;
  std::string json;
};

//! Which input fields hold what. Defaults follow the CapsFusion release.
struct FieldMap {
  std::string raw = "laion_2b";          //!< raw web caption (alt-text)
  std::string synthetic = "laion_coco";  //!< synthetic captioner output
  std::string id;                        //!< row id field; empty: a content hash
  std::vector<std::string> references;   //!< reference caption fields (eval, train)
};

//! One row of input, with the captions already extracted.
struct Record {
  std::string id;                       //!< from the id field, or a stable content hash
  bool id_generated = false;            //!< true when `id` is a content hash
  std::string raw;                      //!< raw caption: entities decoded, whitespace normalised
  std::string synthetic;                //!< synthetic caption, whitespace normalised
  std::vector<std::string> references;  //!< reference captions in FieldMap order (may be empty)
  std::vector<Field> fields;            //!< every input field, in input order, untouched
  std::string origin;                   //!< where it came from: "path:line" (or "path:row N")
  uint64_t index = 0;                   //!< 0-based position among the input's rows

  //! The field called `name`, or nullptr.
  const Field* Find(std::string_view name) const;
  //! Sets field `name` to the JSON text `json`, replacing it or appending it.
  void Set(std::string_view name, std::string json);
  //! Sets field `name` to a JSON string holding `value` (escaped as needed).
  void SetString(std::string_view name, std::string_view value);
};

//! Appends `value` to `out` as a quoted, escaped JSON string.
void AppendJsonString(std::string_view value, std::string* out);
//! `value` as a quoted, escaped JSON string.
std::string JsonString(std::string_view value);

}  // namespace capsfusion
