// Browser test of `capsfusion view`: a real server on a free port, driven by
// headless chromium. Lists, pages, searches and filters rows; opens linked
// rows; a row whose captions hold script and markup must stay inert (no
// dialog, no script run, no element made from it) and show its text
// literally. Screenshots go to build/test-artifacts/.
import path from 'node:path';
import { XSS_RAW, XSS_REASON, check, failed, launch, startViewer, tempDir, writeRows } from './browser_util.mjs';

const build = path.resolve(process.argv[2] || 'build');
const artifacts = path.join(build, 'test-artifacts');
const dir = tempDir('capsfusion-viewer-');
const data = path.join(dir, 'rows.jsonl');
writeRows(data, 120);
const server = await startViewer(path.join(build, 'capsfusion'), [data, '--id-field', 'key', '--reference-field', 'reference']);
const context = await launch();
const shot = (page, name) => page.screenshot({ path: path.join(artifacts, name), fullPage: false });
const indices = (page) => page.$$eval('article.row', (a) => a.map((x) => Number(x.dataset.index)));

try {
  const page = await context.newPage();
  let dialogs = 0;
  const errors = [];
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  page.on('pageerror', (e) => errors.push(e.message));
  // The bad-range request below answers 400 on purpose; any other console error counts.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('status of 400')) errors.push(m.text());
  });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(server.url)) external.push(r.url()); });

  // List and page.
  await page.goto(server.url);
  await page.waitForSelector('article.row');
  let shown = await indices(page);
  check(shown.length === 20 && shown[0] === 0 && shown[19] === 19, 'the first page lists rows 0-19');
  check((await page.textContent('#range')).includes('120'), 'the pager shows the row count');
  const fusedSpans = await page.$$eval('article.row .cap.fused .w', (s) => s.map((x) => x.className));
  check(['w-raw', 'w-synthetic', 'w-both', 'w-neither'].every((c) => fusedSpans.some((k) => k.includes(c))),
    'fused words are coloured by origin (raw, synthetic, both, neither)');
  await shot(page, 'viewer-list.png');
  await page.click('#next');
  await page.waitForFunction(() => document.querySelector('article.row')?.dataset.index === '20');
  shown = await indices(page);
  check(shown[0] === 20 && shown.length === 20, 'Next shows rows 20-39');
  await page.click('#prev');
  await page.waitForFunction(() => document.querySelector('article.row')?.dataset.index === '0');
  check(true, 'Previous goes back to row 0');

  // Full-text search, then the next page of matches.
  await page.fill('#q', 'tokyo');
  await page.click('#apply');
  await page.waitForFunction(() => location.hash.includes('q=tokyo') && document.querySelector('article.row'));
  await page.waitForFunction(() => !document.querySelector('#status').textContent.startsWith('Searching'));
  shown = await indices(page);
  check(shown.length === 20 && shown.every((i) => i % 5 === 1), 'search "tokyo" lists only Tokyo rows');
  const texts = await page.$$eval('article.row', (a) => a.map((x) => x.textContent.toLowerCase()));
  check(texts.every((t) => t.includes('tokyo')), 'every match holds the text');
  const marks = await page.$$eval('article.row mark', (m) => m.map((x) => x.textContent));
  check(marks.length >= 40 && marks.every((m) => m === 'Tokyo'), `search matches are marked (${marks.length})`);
  await shot(page, 'viewer-search.png');
  await page.click('#next');
  await page.waitForFunction(() => location.hash.includes('cursor='));
  await page.waitForSelector('article.row');
  shown = await indices(page);
  check(shown.length === 4 && shown[0] === 101, `the second page of matches starts after the first (${shown[0]})`);
  check(await page.isDisabled('#next'), 'Next is disabled at the end of the matches');

  // QC reason filter.
  await page.click('#clear');
  await page.waitForFunction(() => location.hash === '' || location.hash === '#');
  await page.selectOption('#qc', 'prompt_leak');
  await page.click('#apply');
  await page.waitForFunction(() => location.hash.includes('qc=prompt_leak'));
  await page.waitForSelector('article.row');
  await page.waitForFunction(() => !document.querySelector('#status').textContent.startsWith('Searching'));
  shown = await indices(page);
  check(shown.length === 20 && shown.every((i) => i % 6 === 0), 'QC filter lists only rows with that reason');
  const chips = await page.$$eval('article.row .chip.qc', (c) => c.map((x) => x.textContent));
  check(chips.includes('prompt_leak'), 'QC reasons show as chips');
  await shot(page, 'viewer-qc-filter.png');

  // Metric range filter.
  await page.click('#clear');
  await page.selectOption('#metric', 'score');
  await page.fill('#min', '0.9');
  await page.click('#apply');
  await page.waitForFunction(() => location.hash.includes('metric=score'));
  await page.waitForSelector('article.row');
  await page.waitForFunction(() => !document.querySelector('#status').textContent.startsWith('Searching'));
  shown = await indices(page);
  check(shown.length === 12 && shown[0] === 108, `metric range score >= 0.9 lists rows 108-119 (${shown.length})`);

  // A bad filter shows an error, not a crash.
  await page.goto(server.url + '#metric=score&min=abc');
  await page.waitForFunction(() => document.querySelector('#status').className === 'error');
  check((await page.textContent('#status')).includes('min'), 'a bad range shows the server\'s message');

  // The script-like row: linked by #row=5 and by /row/5.
  for (const url of [server.url + '#row=5', server.url + 'row/5']) {
    await page.goto(url);
    await page.waitForSelector('article.row.focus');
    const raw = await page.$eval('article.row .cap.raw p', (p) => p.textContent);
    check(raw === XSS_RAW, 'the script-like raw caption shows literally at ' + url);
    check(await page.$$eval('main img, main script, main iframe', (e) => e.length) === 0, 'no element was made from the caption');
    const qc = await page.$eval('article.row .chip.qc', (c) => c.textContent);
    check(qc === XSS_REASON, 'the script-like QC reason shows literally');
    check(await page.$('table.fields') !== null, 'the row page lists every field');
  }
  check(await page.evaluate(() => window.__xss === undefined), 'no injected script ran');
  check(dialogs === 0, 'no dialog opened');
  await shot(page, 'viewer-xss-row.png');

  // Paging by row links.
  await page.click('#next');
  await page.waitForFunction(() => document.querySelector('article.row.focus')?.dataset.index === '6');
  check(true, 'Next on a row page opens the next row');
  await page.fill('#goto', '119');
  await page.click('#gotoform button');
  await page.waitForFunction(() => document.querySelector('article.row.focus')?.dataset.index === '119');
  check(await page.isDisabled('#next'), 'the last row has no Next');

  check(errors.length === 0, 'no script error or CSP violation: ' + errors.join(' | '));
  check(external.length === 0, 'no request left the server: ' + external.join(', '));
} finally {
  await context.close();
  const exit = await server.stop();
  check(exit.code === 0, `SIGINT stops the server cleanly (exit ${exit.code}, signal ${exit.signal})`);
}
if (failed()) {
  console.log(`${failed()} check(s) failed`);
  process.exit(1);
}
console.log('viewer: all checks passed; screenshots in ' + artifacts);
