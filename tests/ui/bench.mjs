// The editor's speed in a real browser, printed (not asserted): open, save
// and undo on the seed report, against the goals of 300, 50 and
// 100 ms.  Debian's chromium, headless, 1366×768, driven by playwright-core,
// against the real `xasync ui` on loopback with a database of its own.
//
//   node tests/ui/bench.mjs BUILD/client/xasync tests/fixtures/bao-cao-so-ket-6-thang-2024.txt [ROUNDS]
//
// Measured by the page's own clock (not through the driver): open, from the
// navigation's start to the indicator table's first figure in the page (the
// page, its script, the report's JSON and the rendering); save, from the
// Enter key's event in a figure to the server's answer (the edit on disk)
// and to the "Đã lưu" mark; undo, from Ctrl+Z's event to the server's
// answer (the earlier value written back) and to that value shown.  Load on
// the machine shows in the figures: print `uptime` beside them.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [XA, SEED, roundsArg] = process.argv.slice(2);
if (!XA || !SEED) {
  console.error('usage: node tests/ui/bench.mjs XASYNC SEED_REPORT [ROUNDS]');
  process.exit(2);
}
const ROUNDS = Number(roundsArg || 20);
const CHROMIUM = process.env.XA_CHROMIUM || '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'xasync-uibench-'));
const db = join(dir, 'a.db');
const xa = (...args) => execFileSync(XA, ['--db', db, ...args], { encoding: 'utf8' });

xa('init', '--scope', 'hoang-kim');
xa('report', 'import', SEED, '--author', 'Lê Thị Lan');
const ui = spawn(XA, ['--db', db, 'ui', '--listen', '127.0.0.1:0', '--author', 'Lê Thị Lan'], { stdio: ['ignore', 'pipe', 'ignore'] });
const base = await new Promise((resolve, reject) => {
  let out = '';
  const timer = setTimeout(() => reject(new Error('the editor did not start in 10 s')), 10000);
  ui.stdout.on('data', (d) => {
    out += d;
    const m = out.match(/http:\/\/(127\.0\.0\.1:\d+)\//);
    if (m) {
      clearTimeout(timer);
      resolve(`http://${m[1]}`);
    }
  });
});

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p90: q(0.9), max: s[s.length - 1] };
};
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  /* measured in the page itself (its own clock), not through the driver:
   * open is from the navigation's start to the table's first figure */
  await page.addInitScript(() => {
    performance.setResourceTimingBufferSize(1000000); /* the page asks /api/changes twice a second */
    window.__opened = null;
    const seen = () => {
      if (window.__opened === null && document.querySelector('[data-tt="4"] [data-field="est"]')) window.__opened = performance.now();
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true });
    window.__answered = null;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        if (e.name.endsWith('/api/set') && window.__t0 !== null && e.startTime >= window.__t0) window.__answered = e.responseEnd;
    }).observe({ type: 'resource', buffered: false });
  });
  await page.goto(base + '/');
  await page.locator('[data-tt="4"]').first().waitFor();
  const open = [];
  for (let i = 0; i < ROUNDS; i++) {
    await page.reload();
    await page.locator('[data-tt="4"] [data-field="est"]').first().waitFor();
    open.push(await page.evaluate(() => window.__opened));
  }
  const est = page.locator('[data-tt="4"] [data-field="est"]').first();
  /* from the key (its event's time) to what `mode` waits for, seen at the
   * next frame; and to the server's answer (the resource's responseEnd) */
  const arm = (mode, want) => page.evaluate(({ mode, want }) => {
    window.__t0 = null;
    window.__done = null;
    window.__answered = null;
    document.addEventListener('keydown', (e) => { window.__t0 = e.timeStamp; }, { capture: true, once: true });
    const met = () => (mode === 'saved' ? !!document.querySelector('#saved.show')
      : document.querySelector('[data-tt="4"] [data-field="est"]')?.value === want);
    const tick = () => {
      if (window.__t0 !== null && met()) window.__done = performance.now();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, { mode, want });
  const took = async () => {
    await page.waitForFunction(() => window.__done !== null && window.__answered !== null, null, { timeout: 10000 })
      .catch(async (e) => {
        console.error(await page.evaluate(() => JSON.stringify({ t0: window.__t0, done: window.__done, answered: window.__answered })));
        throw e;
      });
    return page.evaluate(() => [window.__answered - window.__t0, window.__done - window.__t0]);
  };
  const save = [], saveAnswer = [], undo = [], undoAnswer = [];
  for (let i = 0; i < ROUNDS; i++) {
    const v = String(640 + i);
    await page.waitForFunction(() => !document.querySelector('#saved.show'), null, { timeout: 5000 });
    await arm('saved');
    await est.click();
    await est.fill(v); /* and Enter at once, before the pause that saves by itself */
    await est.press('Enter');
    let [a, d] = await took();
    saveAnswer.push(a);
    save.push(d);
    await page.waitForFunction(() => !document.querySelector('#saved.show'), null, { timeout: 5000 });
    await page.waitForFunction(() => !document.querySelector('.fld-input.saving'), null, { timeout: 5000 });
    await page.locator('#main').focus();
    const before = i === 0 ? '636,4' : String(640 + i - 1);
    await arm('value', before);
    await page.keyboard.press('Control+z');
    [a, d] = await took();
    undoAnswer.push(a);
    undo.push(d);
    /* the value saved again, for the next round's undo to go back to */
    await est.click();
    await est.fill(v);
    const again = page.waitForResponse((r) => r.url().endsWith('/api/set') && r.status() === 200);
    await est.press('Enter');
    await again;
    await page.waitForFunction(() => !document.querySelector('.fld-input.saving'), null, { timeout: 5000 });
  }
  const r = {
    open: stats(open), 'save (answered)': stats(saveAnswer), 'save (shown)': stats(save),
    'undo (answered)': stats(undoAnswer), 'undo (shown)': stats(undo),
  };
  const goal = { open: 300, 'save (answered)': 50, 'save (shown)': 50, 'undo (answered)': 100, 'undo (shown)': 100 };
  for (const k of Object.keys(r)) {
    const x = r[k];
    console.log(`${k.padEnd(16)} median ${x.median.toFixed(1)} ms, p90 ${x.p90.toFixed(1)} ms, max ${x.max.toFixed(1)} ms` +
      ` over ${x.n} (goal under ${goal[k]} ms)`);
  }
} finally {
  await browser.close();
  ui.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
