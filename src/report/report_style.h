// Colours and CSS shared by the stats report and the viewer, so that a source
// has the same colour everywhere. Internal to src/report and src/view.
#pragma once

#include <string>

namespace capsfusion::report {

//! The colour of a caption source role ("raw", "synthetic", "fused",
//! "reference") or word origin ("both", "neither").
const char* RoleColor(const std::string& role);

//! The report's style sheet (no external resources).
const char* ReportCss();

}  // namespace capsfusion::report
