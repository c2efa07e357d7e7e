// QC reasons: how a row's QC field is read, shared by `capsfusion stats` and
// the viewer. The field holds a JSON array of strings, one string, or null;
// an empty array, an empty string and null mean the row passed.
#pragma once

#include <string>
#include <vector>

namespace capsfusion::report {

//! Fills `*reasons` with the distinct non-empty reasons of the field's JSON
//! text, sorted. False when the value has another shape (a number, an object,
//! an array with non-strings); the strings found are still returned.
bool ParseQcReasons(const std::string& json, std::vector<std::string>* reasons);

}  // namespace capsfusion::report
