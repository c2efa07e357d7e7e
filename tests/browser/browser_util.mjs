// Shared helpers of the browser tests: headless Debian chromium through
// playwright-core, generated datasets, a running `capsfusion view`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const XSS_RAW = '<script>window.__xss = 1; alert("xss")</script><img src=x onerror="window.__xss = 2; alert(2)"> Eiffel';
export const XSS_REASON = '<img src=y onerror="alert(3)">';

//! A fresh temporary directory, removed at exit.
export function tempDir(prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

//! Writes `n` JSONL rows: row 5 carries script-like text in its raw caption
//! and in a QC reason; every third row has QC reasons; "score" is i / n.
export function writeRows(file, n) {
  const places = ['Paris', 'Tokyo', 'Berlin', 'Cairo', 'Lima'];
  const things = ['tower', 'bridge', 'market', 'museum', 'harbour'];
  const lines = [];
  for (let i = 0; i < n; i++) {
    const place = places[i % places.length];
    const thing = things[Math.floor(i / 5) % things.length];
    const row = {
      key: 'row-' + i,
      laion_2b: i === 5 ? XSS_RAW : `${place} ${thing} 20${10 + (i % 15)} stock photo IMG_${1000 + i}.jpg`,
      laion_coco: `a ${thing} in a city at night with people walking`,
      capsfusion: `The ${place} ${thing} at night in 20${10 + (i % 15)}, with people walking past a lit facade.`,
      reference: `A photo of the ${thing} in ${place}.`,
      qc_reasons: i === 5 ? [XSS_REASON] : i % 3 === 0 ? (i % 2 ? ['too_short'] : ['prompt_leak', 'too_short']) : [],
      score: i / n,
      eval: { cider_d: (i % 10) / 2 },
    };
    lines.push(JSON.stringify(row));
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

//! Launches headless chromium with a fresh profile; returns the context.
export async function launch() {
  const profile = tempDir('capsfusion-chromium-');
  const executablePath = process.env.CAPSFUSION_CHROMIUM || '/usr/bin/chromium';
  return chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

//! Starts `capsfusion view` on a free port; resolves to { url, proc, stop() }.
export function startViewer(binary, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ['view', ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    process.on('exit', () => proc.kill('SIGKILL'));
    let out = '';
    const timer = setTimeout(() => reject(new Error('capsfusion view printed no URL: ' + out)), 30000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) {
        clearTimeout(timer);
        const stop = () => new Promise((done) => {
          proc.on('exit', (code, signal) => done({ code, signal }));
          proc.kill('SIGINT');
        });
        resolve({ url: m[0], proc, stop });
      }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error('capsfusion view exited with ' + code + ': ' + out)); });
  });
}

let failures = 0;
//! Records a check; failures are reported and make the test exit non-zero.
export function check(ok, what) {
  if (ok) {
    console.log('ok   ' + what);
  } else {
    failures++;
    console.log('FAIL ' + what);
  }
}
export function failed() { return failures; }
