#include "report/qc_reasons.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace capsfusion::report {

bool ParseQcReasons(const std::string& json, std::vector<std::string>* reasons) {
  reasons->clear();
  if (json == "null" || json == "[]" || json == "\"\"") return true;
  auto v = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  bool ok = true;
  if (v.is_string()) {
    reasons->push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_string()) {
        reasons->push_back(e.get<std::string>());
      } else {
        ok = false;
      }
    }
  } else if (!v.is_null()) {
    ok = false;
  }
  reasons->erase(std::remove(reasons->begin(), reasons->end(), std::string()), reasons->end());
  std::sort(reasons->begin(), reasons->end());
  reasons->erase(std::unique(reasons->begin(), reasons->end()), reasons->end());
  return ok;
}

}  // namespace capsfusion::report
