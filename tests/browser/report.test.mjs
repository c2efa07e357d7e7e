// Browser test of the stats report: `capsfusion stats --html` on generated
// rows, opened offline in headless chromium. The charts must render (SVG
// present, non-zero sizes), nothing may be fetched, no script may exist, and
// script-like captions must show as text. Screenshots go to
// build/test-artifacts/.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XSS_REASON, check, failed, launch, tempDir, writeRows } from './browser_util.mjs';

const build = path.resolve(process.argv[2] || 'build');
const artifacts = path.join(build, 'test-artifacts');
const dir = tempDir('capsfusion-report-');
const data = path.join(dir, 'rows.jsonl');
const html = path.join(dir, 'report.html');
writeRows(data, 400);
execFileSync(path.join(build, 'capsfusion'),
  ['stats', data, '--reference-field', 'reference', '--html', html, '--title', 'Generated rows <test>'],
  { stdio: ['ignore', 'ignore', 'inherit'] });
check(!readFileSync(html, 'utf8').includes('<script'), 'the report holds no script element');

const context = await launch();
try {
  const page = await context.newPage();
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await page.goto('file://' + html);
  await page.waitForLoadState('load');

  const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => {
    const r = s.getBoundingClientRect();
    return { w: r.width, h: r.height, bars: s.querySelectorAll('rect.bar, rect.seg').length };
  }));
  check(charts.length >= 20, `report has ${charts.length} SVG charts (at least 20)`);
  check(charts.every((c) => c.w > 100 && c.h > 20), 'every chart has a non-zero size');
  check(charts.filter((c) => c.bars > 0).length >= 18, 'charts hold bars');
  const barSizes = await page.$$eval('svg.chart rect.bar', (rects) => rects.map((r) => {
    const b = r.getBoundingClientRect();
    return b.width * b.height;
  }));
  check(barSizes.filter((a) => a > 0).length > 100, `${barSizes.length} bars drawn with non-zero area`);
  for (const id of ['sources', 'lengths', 'overlap', 'retention', 'words', 'trigrams', 'qc', 'metrics']) {
    check(await page.$('#' + id) !== null, `section #${id} is present`);
  }
  const shares = await page.$$eval('#overlap svg.shares rect.seg', (r) => r.length);
  check(shares === 4, `the origin chart has 4 segments (${shares})`);
  const columns = await page.$$eval('#sources thead th', (th) => th.length);
  check(columns === 5, `the source table has raw, synthetic, fused and reference columns (${columns - 1})`);
  const title = await page.title();
  check(title === 'Generated rows <test>', 'the title shows as text: ' + title);
  const qcText = await page.$eval('#qc', (s) => s.textContent);
  check(qcText.includes(XSS_REASON), 'the script-like QC reason shows literally');
  check(await page.$$eval('img, script, iframe, object', (e) => e.length) === 0, 'no img, script, iframe or object element');
  check(await page.evaluate(() => window.__xss === undefined), 'no script ran');
  check(dialogs === 0, 'no dialog opened');
  check(requests.length === 0, 'no network request: ' + requests.join(', '));

  await page.screenshot({ path: path.join(artifacts, 'stats-report.png'), fullPage: true });
  await page.locator('#overlap').screenshot({ path: path.join(artifacts, 'stats-report-overlap.png') });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(artifacts, 'stats-report-top.png') });
} finally {
  await context.close();
}
if (failed()) {
  console.log(`${failed()} check(s) failed`);
  process.exit(1);
}
console.log('report: all checks passed; screenshots in ' + artifacts);
