#include "report/report_style.h"

namespace capsfusion::report {

const char* RoleColor(const std::string& role) {
  if (role == "raw") return "#d97706";
  if (role == "synthetic") return "#2563eb";
  if (role == "fused") return "#059669";
  if (role == "both") return "#7c9a3c";
  if (role == "neither") return "#db2777";
  return "#7c3aed";  // references
}

const char* ReportCss() {
  return R"CSS(
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#ffffff; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; color:var(--fg); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:18px 28px; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header p { margin:4px 0 0; color:#cbd5e1; font-size:13px; }
main { max-width:1180px; margin:0 auto; padding:18px 24px 40px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 18px; margin:16px 0; }
h2 { font-size:16px; margin:0 0 10px; }
h3 { font-size:13px; margin:10px 0 4px; color:var(--muted); font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fill,minmax(160px,1fr)); gap:12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
.card .v { font-size:22px; font-weight:600; }
.card .k { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { padding:4px 8px; border-bottom:1px solid var(--line); text-align:right; }
th:first-child, td:first-child { text-align:left; }
thead th { color:var(--muted); font-weight:600; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fill,minmax(450px,1fr)); gap:10px 18px; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:6px; vertical-align:baseline; }
.muted { color:var(--muted); }
.note { color:var(--muted); font-size:12px; }
svg.chart { max-width:100%; height:auto; }
svg .grid { stroke:#eef0f3; }
svg .axis { stroke:#9ca3af; }
svg .tick { font-size:11px; fill:#4b5563; }
svg .label { font-size:12px; fill:#374151; }
svg .note { font-size:11px; fill:#374151; }
svg .inbar { font-size:11px; fill:#ffffff; font-weight:600; }
svg .bar:hover, svg .seg:hover { opacity:.8; }
code { background:#f1f5f9; padding:1px 4px; border-radius:4px; }
)CSS";
}

}  // namespace capsfusion::report
