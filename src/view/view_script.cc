// The viewer's script. It builds the page with createElement/textContent
// only, so nothing from a row is ever parsed as markup.
#include "view/view_assets.h"

namespace capsfusion::view {

const char* ViewerScript() {
  return R"JS('use strict';
(() => {
  const PAGE = 20;
  const $ = (id) => document.getElementById(id);
  const TITLES = {
    raw: 'from the raw caption', synthetic: 'from the synthetic caption', both: 'in both sources',
    neither: 'in neither source', kept: 'kept in the fused caption', dropped: 'not in the fused caption'
  };
  let info = null;
  let generation = 0;
  const cursorStack = [];

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const num = (n) => Number(n).toLocaleString('en-US');

  function state() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const m = location.pathname.match(/^\/row\/(\d+)$/);
    if (m && ![...p.keys()].length) p.set('row', m[1]);
    return p;
  }
  function go(p) {
    const h = p.toString();
    if (location.hash.replace(/^#/, '') === h) render(); else location.hash = h;
  }

  async function api(path) {
    const r = await fetch(path, { headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new Error((body && body.error) || ('HTTP ' + r.status));
    return body;
  }

  function status(text, isError) {
    const s = $('status');
    s.textContent = text || '';
    s.className = isError ? 'error' : '';
  }

  const asciiLower = (t) => t.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let highlight = '';  // the search text (ASCII-lowercased), marked in captions

  // Ranges [from, to) of `text` that match the search, as the server matches.
  function matches(text) {
    const out = [];
    if (!highlight) return out;
    const lower = asciiLower(text);
    for (let i = lower.indexOf(highlight); i >= 0; i = lower.indexOf(highlight, i + highlight.length)) {
      out.push([i, i + highlight.length]);
    }
    return out;
  }

  // Appends `t` (which starts at `at` in the caption) to `parent`, the parts
  // inside search matches wrapped in <mark>.
  function appendMarked(parent, t, at, ranges) {
    let i = 0;
    for (const [from, to] of ranges) {
      const a = Math.max(from - at, i), b = Math.min(to - at, t.length);
      if (b <= a) continue;
      if (a > i) parent.appendChild(document.createTextNode(t.slice(i, a)));
      parent.appendChild(el('mark', null, t.slice(a, b)));
      i = b;
    }
    if (i < t.length) parent.appendChild(document.createTextNode(t.slice(i)));
  }

  function fillSegments(p, segs, text) {
    if (!Array.isArray(segs) || segs.length === 0) segs = [[text, '']];
    const ranges = matches(String(text));
    let at = 0;
    for (const seg of segs) {
      const t = String(seg[0]), c = String(seg[1] || '');
      let parent = p;
      if (c) {
        parent = el('span', 'w w-' + c.replace(/[^a-z]/g, ''));
        parent.title = TITLES[c] || '';
        p.appendChild(parent);
      }
      appendMarked(parent, t, at, ranges);
      at += t.length;
    }
  }

  function capBlock(role, label, text, segs) {
    const d = el('div', 'cap ' + role);
    d.appendChild(el('h4', null, label));
    if (text === null || text === undefined) { d.appendChild(el('p', 'absent', '(absent)')); return d; }
    const p = el('p');
    fillSegments(p, segs, text);
    d.appendChild(p);
    return d;
  }

  const fmt = (v) => (Number.isInteger(v) ? String(v) : Number(v).toFixed(3));

  function card(row, detail) {
    const a = el('article', 'row');
    a.id = 'r' + row.index;
    a.dataset.index = String(row.index);
    const meta = el('div', 'meta');
    const link = el('a', 'num-link', '#' + row.index);
    link.href = '#row=' + row.index;
    link.title = 'link to this row';
    meta.appendChild(link);
    meta.appendChild(el('span', 'id', row.id));
    meta.appendChild(el('span', 'origin', row.origin));
    if (Array.isArray(row.qc)) {
      if (row.qc.length === 0) meta.appendChild(el('span', 'chip pass', 'QC passed'));
      for (const r of row.qc) meta.appendChild(el('span', 'chip qc', r));
    }
    const fusion = [];
    for (const [k, v] of Object.entries(row.metrics || {})) {
      if (k.startsWith('fusion:')) fusion.push([k.slice(7), v]);
      else meta.appendChild(el('span', 'chip', k + ' ' + fmt(v)));
    }
    if (fusion.length) {
      // The fusion metrics of docs/metrics.md in one chip.
      const names = { raw_retention: 'raw kept', proper_retention: 'names kept', number_retention: 'numbers kept',
        synthetic_retention: 'synthetic kept', novel_rate: 'novel', fused_words: 'words' };
      const chip = el('span', 'chip fusion', fusion.map(([k, v]) => (names[k] || k) + ' ' + fmt(v)).join(' · '));
      chip.title = 'fusion metrics of this row (docs/metrics.md)';
      meta.appendChild(chip);
    }
    a.appendChild(meta);
    const f = info.fields;
    const caps = el('div', 'caps');
    caps.appendChild(capBlock('raw', 'raw · ' + f.raw, row.raw, row.segments.raw));
    caps.appendChild(capBlock('synthetic', 'synthetic · ' + f.synthetic, row.synthetic, row.segments.synthetic));
    caps.appendChild(capBlock('fused', 'fused · ' + f.fused, row.fused, row.segments.fused));
    a.appendChild(caps);
    if (Array.isArray(row.references) && row.references.length) {
      const refs = el('div', 'caps');
      for (const r of row.references) refs.appendChild(capBlock('reference', 'reference · ' + r.field, r.text, null));
      a.appendChild(refs);
    }
    if (detail && Array.isArray(row.fields)) {
      const t = el('table', 'fields');
      for (const fl of row.fields) {
        const tr = el('tr');
        tr.appendChild(el('td', null, fl.name));
        tr.appendChild(el('td', null, fl.json));
        t.appendChild(tr);
      }
      a.appendChild(t);
    }
    return a;
  }

  function showRows(rows, detail) {
    const main = $('rows');
    main.replaceChildren();
    if (!rows.length) { main.appendChild(el('div', 'empty', 'No rows.')); return; }
    for (const r of rows) main.appendChild(card(r, detail));
    window.scrollTo(0, 0);
  }

  function pager(range, prev, next) {
    $('range').textContent = range;
    $('prev').disabled = !prev;
    $('next').disabled = !next;
    $('prev').onclick = prev || null;
    $('next').onclick = next || null;
  }

  function syncControls(p) {
    $('q').value = p.get('q') || '';
    $('scope').value = p.get('in') || 'all';
    $('qc').value = p.get('qc') || '';
    $('metric').value = p.get('metric') || '';
    $('min').value = p.get('min') || '';
    $('max').value = p.get('max') || '';
  }

  function queryOf(p) {
    const out = new URLSearchParams();
    for (const k of ['q', 'in', 'qc', 'metric', 'min', 'max']) if (p.get(k)) out.set(k, p.get(k));
    if (out.get('in') === 'all') out.delete('in');
    return out;
  }

  async function showOne(p, gen) {
    const n = p.get('row');
    const row = await api('/api/row/' + encodeURIComponent(n));
    if (gen !== generation) return;
    showRows([row], true);
    $('r' + row.index).classList.add('focus');
    const i = row.index;
    pager('row #' + num(i) + ' of ' + num(info.rows) + ' rows',
      i > 0 ? () => go(new URLSearchParams({ row: String(i - 1) })) : null,
      i + 1 < info.rows ? () => go(new URLSearchParams({ row: String(i + 1) })) : null);
    status('');
  }

  async function browse(p, gen) {
    let offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
    offset = Math.min(offset, Math.max(0, info.rows - 1));
    const res = await api('/api/rows?offset=' + offset + '&limit=' + PAGE);
    if (gen !== generation) return;
    showRows(res.rows, false);
    const end = offset + res.rows.length;
    pager(info.rows ? 'rows #' + num(offset) + '–#' + num(end - 1) + ' of ' + num(info.rows) : 'no rows',
      offset > 0 ? () => go(new URLSearchParams({ offset: String(Math.max(0, offset - PAGE)) })) : null,
      end < info.rows ? () => go(new URLSearchParams({ offset: String(end) })) : null);
    status('');
  }

  async function search(p, gen) {
    const q = queryOf(p);
    highlight = asciiLower(p.get('q') || '');
    const start = parseInt(p.get('cursor') || '0', 10) || 0;
    let cursor = start;
    const rows = [];
    let done = false;
    status('Searching…');
    while (rows.length < PAGE) {
      const u = new URLSearchParams(q);
      u.set('cursor', String(cursor));
      u.set('limit', String(PAGE - rows.length));
      const res = await api('/api/search?' + u.toString());
      if (gen !== generation) return;
      rows.push(...res.rows);
      if (res.done) { done = true; break; }
      cursor = res.cursor;
      status('Searching… ' + num(rows.length) + ' found, scanned up to row ' + num(cursor) + ' of ' + num(info.rows));
    }
    showRows(rows, false);
    const scannedTo = done ? info.rows : cursor;
    const lastShown = rows.length ? rows[rows.length - 1].index + 1 : 0;
    status(rows.length ? num(rows.length) + (rows.length === 1 ? ' match' : ' matches') + ' on this page' +
      ' (rows #' + num(rows[0].index) + '–#' + num(lastShown - 1) + ')' :
      'No matching rows' + (start > 0 ? ' from row #' + num(start) + ' on' : '') + '.');
    const next = done ? null : () => {
      cursorStack.push(start);
      const n = new URLSearchParams(q);
      n.set('cursor', String(cursor));
      go(n);
    };
    const prev = start > 0 ? () => {
      const n = new URLSearchParams(q);
      const back = cursorStack.length ? cursorStack.pop() : 0;
      if (back > 0) n.set('cursor', String(back));
      go(n);
    } : null;
    pager('searched rows #' + num(start) + '–#' + num(Math.max(start, scannedTo - 1)) + ' of ' + num(info.rows), prev, next);
  }

  async function render() {
    const gen = ++generation;
    highlight = '';
    const p = state();
    syncControls(p);
    try {
      if (p.has('row')) await showOne(p, gen);
      else if ([...queryOf(p).keys()].length) await search(p, gen);
      else await browse(p, gen);
    } catch (e) {
      if (gen !== generation) return;
      $('rows').replaceChildren();
      pager('', null, null);
      status(e.message, true);
    }
  }

  function setup() {
    const ins = info.inputs.map((i) => i.path).join(', ');
    $('inputs').textContent = ins + ' · ' + num(info.rows) + ' rows' +
      (info.rejected ? ' · ' + num(info.rejected) + ' rejected' : '');
    const qc = $('qc');
    if (info.qc.rows > 0) {
      qc.appendChild(new Option('flagged: any reason (' + num(info.qc.flagged) + ')', '*any'));
      qc.appendChild(new Option('passed: no reason (' + num(info.qc.rows - info.qc.flagged) + ')', '*none'));
      for (const r of info.qc.reasons) qc.appendChild(new Option(r.text + ' (' + num(r.count) + ')', r.text));
    } else {
      qc.disabled = true;
      qc.title = 'no ' + info.fields.qc + ' field in the input';
    }
    const metric = $('metric');
    for (const m of info.metrics) metric.appendChild(new Option(m.replace(/^fusion:/, 'fusion: '), m));
    $('controls').addEventListener('submit', (ev) => {
      ev.preventDefault();
      cursorStack.length = 0;
      const n = new URLSearchParams();
      const set = (k, v) => { if (v) n.set(k, v); };
      set('q', $('q').value.trim());
      set('in', $('scope').value === 'all' ? '' : $('scope').value);
      set('qc', $('qc').value);
      set('metric', $('metric').value);
      if ($('metric').value) { set('min', $('min').value.trim()); set('max', $('max').value.trim()); }
      go(n);
    });
    $('clear').addEventListener('click', () => { cursorStack.length = 0; go(new URLSearchParams()); });
    $('gotoform').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = $('goto').value.trim();
      if (/^\d+$/.test(v)) go(new URLSearchParams({ row: v }));
      else status('Row numbers are whole numbers from 0.', true);
    });
    window.addEventListener('hashchange', render);
  }

  api('/api/info').then((i) => { info = i; setup(); return render(); })
    .catch((e) => status('Cannot load the dataset: ' + e.message, true));
})();
)JS";
}

}  // namespace capsfusion::view
