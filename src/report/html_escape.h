// HTML escaping for the stats report and the viewer: captions are untrusted
// web text and must always show as text. Internal to src/report and src/view.
#pragma once

#include <string>
#include <string_view>

namespace capsfusion::report {

//! Appends `text` with & < > " ' escaped (safe in element content and in
//! quoted attribute values). Invalid UTF-8 bytes become U+FFFD, and C0
//! controls other than tab and line feed become U+FFFD too.
void AppendHtmlEscaped(std::string_view text, std::string* out);
std::string HtmlEscape(std::string_view text);

//! `text` made printable on a terminal: control characters (C0, DEL, C1) and
//! invalid UTF-8 become '?'.
std::string TerminalSafe(std::string_view text);

}  // namespace capsfusion::report
