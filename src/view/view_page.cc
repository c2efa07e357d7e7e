// The viewer's HTML shell and style sheet.
#include "view/view_assets.h"

namespace capsfusion::view {

const char* ViewerPageHtml() {
  return R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>capsfusion view</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1><a href="#" id="home">capsfusion view</a></h1>
  <span id="inputs" class="muted"></span>
</header>
<form id="controls" autocomplete="off">
  <input id="q" type="search" placeholder="Search captions (case-insensitive)" maxlength="200" aria-label="search text">
  <select id="scope" aria-label="search in">
    <option value="all">in all captions</option>
    <option value="raw">in raw</option>
    <option value="synthetic">in synthetic</option>
    <option value="fused">in fused</option>
    <option value="references">in references</option>
  </select>
  <select id="qc" aria-label="QC filter"><option value="">any QC result</option></select>
  <select id="metric" aria-label="metric"><option value="">no metric filter</option></select>
  <input id="min" class="num" placeholder="min" inputmode="decimal" aria-label="metric minimum">
  <input id="max" class="num" placeholder="max" inputmode="decimal" aria-label="metric maximum">
  <button type="submit" id="apply">Apply</button>
  <button type="button" id="clear">Clear</button>
</form>
<div id="legend">
  <span class="lg">fused words:</span>
  <span class="w w-raw">from raw</span>
  <span class="w w-synthetic">from synthetic</span>
  <span class="w w-both">from both</span>
  <span class="w w-neither">from neither</span>
  <span class="lg sep">source words:</span>
  <span class="w w-kept">kept in fused</span>
  <span class="w w-dropped">dropped</span>
</div>
<div id="status" role="status"></div>
<main id="rows"></main>
<nav id="pager">
  <button type="button" id="prev">&larr; Previous</button>
  <span id="range"></span>
  <button type="button" id="next">Next &rarr;</button>
  <form id="gotoform" autocomplete="off"><label>Row <input id="goto" class="num" inputmode="numeric" aria-label="row number"></label> <button type="submit">Open</button></form>
</nav>
<script src="/app.js"></script>
</body>
</html>
)HTML";
}

const char* ViewerStyle() {
  return R"CSS(
:root { --fg:#1f2937; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff;
  --raw:#d97706; --syn:#2563eb; --fused:#059669; --ref:#7c3aed; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; color:var(--fg); background:var(--bg); }
header { background:#0f172a; color:#f8fafc; padding:12px 24px; display:flex; gap:16px; align-items:baseline; flex-wrap:wrap; }
header h1 { margin:0; font-size:18px; font-weight:600; }
header h1 a { color:inherit; text-decoration:none; }
header .muted { color:#cbd5e1; font-size:13px; }
#controls { display:flex; flex-wrap:wrap; gap:8px; padding:12px 24px; background:#fff; border-bottom:1px solid var(--line); position:sticky; top:0; z-index:2; }
#controls input, #controls select, button, #goto { font:inherit; padding:5px 8px; border:1px solid #cbd5e1; border-radius:6px; background:#fff; }
#q { flex:1 1 280px; min-width:200px; }
.num { width:84px; }
button { cursor:pointer; background:#f1f5f9; }
button:hover { background:#e2e8f0; }
button:disabled { opacity:.45; cursor:default; }
#apply { background:#0f766e; color:#fff; border-color:#0f766e; }
#legend { padding:8px 24px 0; font-size:12px; display:flex; flex-wrap:wrap; gap:6px; align-items:center; }
#legend .lg { color:var(--muted); }
#legend .sep { margin-left:12px; }
#status { padding:6px 24px; color:var(--muted); min-height:1.5em; }
#status.error { color:#b91c1c; }
main { padding:0 24px; max-width:1500px; }
article.row { background:var(--card); border:1px solid var(--line); border-radius:10px; margin:10px 0; padding:10px 14px; }
article.row.focus { border-color:#0f766e; box-shadow:0 0 0 2px #99f6e4; }
.meta { display:flex; flex-wrap:wrap; gap:8px; align-items:baseline; font-size:12px; color:var(--muted); margin-bottom:6px; }
.meta a.num-link { font-weight:600; color:#0f766e; text-decoration:none; font-size:13px; }
.meta .id { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; }
.chip { display:inline-block; padding:0 7px; border-radius:10px; font-size:11px; background:#f1f5f9; color:#334155; }
.chip.qc { background:#fee2e2; color:#991b1b; }
.chip.pass { background:#dcfce7; color:#166534; }
.chip.fusion { background:#ecfdf5; color:#065f46; }
.caps { display:grid; grid-template-columns:1fr 1fr 1.4fr; gap:12px; }
@media (max-width: 900px) { .caps { grid-template-columns:1fr; } }
.cap h4 { margin:0 0 2px; font-size:11px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); font-weight:600; }
.cap h4::before { content:""; display:inline-block; width:8px; height:8px; border-radius:2px; margin-right:5px; }
.cap.raw h4::before { background:var(--raw); }
.cap.synthetic h4::before { background:var(--syn); }
.cap.fused h4::before { background:var(--fused); }
.cap.reference h4::before { background:var(--ref); }
.cap p { margin:0; white-space:pre-wrap; overflow-wrap:anywhere; }
.cap p.absent { color:var(--muted); font-style:italic; }
.w { border-radius:3px; padding:0 1px; }
.w-raw { background:#fde7c2; box-shadow:inset 0 -2px 0 var(--raw); }
.w-synthetic { background:#dbe7fe; box-shadow:inset 0 -2px 0 var(--syn); }
.w-both { background:#e3edc9; box-shadow:inset 0 -2px 0 #7c9a3c; }
.w-neither { background:#fce7f3; box-shadow:inset 0 -2px 0 #db2777; }
.w-kept { }
mark { background:#fef08a; color:inherit; border-radius:2px; box-shadow:0 0 0 1px #facc15; }
.w-dropped { color:#9ca3af; text-decoration:line-through; text-decoration-color:#d1d5db; }
#legend .w-kept { border:1px solid var(--line); }
table.fields { border-collapse:collapse; width:100%; margin-top:10px; font-size:12px; }
table.fields td { border-top:1px solid var(--line); padding:3px 6px; vertical-align:top; }
table.fields td:first-child { color:var(--muted); white-space:nowrap; width:1%; }
table.fields td:last-child { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; white-space:pre-wrap; overflow-wrap:anywhere; }
#pager { display:flex; gap:10px; align-items:center; flex-wrap:wrap; padding:12px 24px 28px; }
#pager #range { color:var(--muted); }
#gotoform { margin-left:auto; }
.empty { padding:30px; text-align:center; color:var(--muted); }
)CSS";
}

}  // namespace capsfusion::view
