// The viewer's page: HTML shell, script and style sheet, served as separate
// resources so that the Content-Security-Policy can forbid inline script.
// The script builds every element with textContent (never innerHTML), so
// captions always show as text. Internal to src/view.
#pragma once

namespace capsfusion::view {

const char* ViewerPageHtml();
const char* ViewerScript();
const char* ViewerStyle();

}  // namespace capsfusion::view
