// How the viewer's API shows a row: captions as text plus word segments
// coloured by origin, QC reasons, metric values and (in detail) every field.
// Internal to src/view.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "capsfusion/record.h"
#include "view/row_query.h"

namespace capsfusion::view {

//! The row as JSON:
//!   {"index", "id", "origin", "raw", "synthetic", "fused", "references": [{"field", "text"}],
//!    "segments": {"raw": [[text, class]...], "synthetic": [...], "fused": [...]},
//!    "qc": [reasons] or null, "metrics": {name: value}, "fields": [{"name", "json"}] (detail only)}
//! A fused word's class is "raw", "synthetic", "both" or "neither" (where the
//! same word occurs in the row); a raw or synthetic word's is "kept" or
//! "dropped" (whether the fused caption has it); text between words has "".
nlohmann::ordered_json RowJson(const Record& record, const ViewFields& fields,
                               const std::vector<std::string>& metric_names, bool detail);

//! Serialises API JSON safely: invalid UTF-8 replaced, and < > & written as
//! \u003c \u003e \u0026 so that no response can be read as markup.
std::string SafeJsonText(const nlohmann::ordered_json& value);

}  // namespace capsfusion::view
