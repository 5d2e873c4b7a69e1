// The clerk's editor in a real browser: Debian's chromium, headless, driven
// by playwright-core, against the real `xasync ui`, `xasync daemon` and
// `xasync-district` processes on loopback.  Run by ctest (tests/CMakeLists.txt)
// with XA_BIN, XA_DISTRICT_BIN, XA_SEED_REPORT and XA_SHOTS in the
// environment; screenshots go to XA_SHOTS (the build folder's screenshots/;
// scripts/update-screenshots.sh copies them into docs/screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const XA = process.env.XA_BIN;
const XD = process.env.XA_DISTRICT_BIN;
const SEED = process.env.XA_SEED_REPORT;
const SHOTS = process.env.XA_SHOTS;
const CHROMIUM = process.env.XA_CHROMIUM || '/usr/bin/chromium';

const dir = mkdtempSync(join(tmpdir(), 'xasync-ui-'));
const dbA = join(dir, 'a.db');
const dbB = join(dir, 'b.db');
const ddb = join(dir, 'district.db');
const procs = [];
let browser, page, base, districtPort, server;
const timings = {};

const xa = (...args) => execFileSync(XA, args, { encoding: 'utf8', timeout: 60000 });
const xd = (...args) => execFileSync(XD, args, { encoding: 'utf8', timeout: 60000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Start a process and wait (10 s at most) for a line matching `re` on stdout.
function start(bin, args, re) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin} ${args.join(' ')}: no "${re}" in 10 s: ${out}`)), 10000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(re);
      if (m) {
        clearTimeout(timer);
        resolve({ p, m });
      }
    });
    p.stderr.on('data', () => {});
    p.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.match(re)) reject(new Error(`${bin} exited ${code}: ${out}`));
    });
  });
}

function stop(p) {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = setTimeout(() => p.kill('SIGKILL'), 10000);
    p.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill('SIGTERM');
  });
}

async function waitFor(what, fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const startDistrict = async () =>
  (server = (await start(XD, ['--db', ddb, 'serve', '--listen', `127.0.0.1:${districtPort}`], /listening on .*:(\d+)/)).p);

before(async () => {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  // The district, to learn a port; then stopped: the PC starts offline.
  xd('--db', ddb, 'init');
  const tok = join(dir, 'hk.token');
  writeFileSync(tok, xd('--db', ddb, 'commune', 'add', 'hoang-kim', '--name', 'Xã Hoằng Kim'));
  const first = await start(XD, ['--db', ddb, 'serve', '--listen', '127.0.0.1:0'], /listening on .*:(\d+)/);
  districtPort = first.m[1];
  await stop(first.p);
  for (const db of [dbA, dbB]) {
    xa('--db', db, 'init', '--scope', 'hoang-kim');
    xa('--db', db, 'remote', 'set', `http://127.0.0.1:${districtPort}`, '--token-file', tok);
  }
  xa('--db', dbA, 'report', 'import', SEED, '--author', 'Lê Thị Lan');
  const ui = await start(XA, ['--db', dbA, 'ui', '--listen', '127.0.0.1:0', '--author', 'Lê Thị Lan'],
    /http:\/\/(127\.0\.0\.1:\d+)\//);
  base = `http://${ui.m[1]}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
});

after(async () => {
  if (browser) await browser.close();
  for (const p of procs.reverse()) await stop(p);
  rmSync(dir, { recursive: true, force: true });
  console.log(`timings (ms): ${JSON.stringify(timings)}`);
});

const cell = (tt, col) => page.locator(`[data-tt="${tt}"] [data-field="${col}"]`).first();
const derived = (tt, col) => page.locator(`[data-tt="${tt}"] [data-derived="${col}"]`).first();

test('the seed report opens, with its outline and table', async () => {
  const t0 = Date.now();
  await page.goto(base + '/');
  await page.locator('[data-tt="4"]').first().waitFor();
  timings.first_open = Date.now() - t0; /* a cold browser */
  const t1 = Date.now();
  await page.reload();
  await page.locator('[data-tt="4"]').first().waitFor();
  timings.open = Date.now() - t1; /* the report opening again, as a clerk would */
  assert.match(await page.locator('#outline').innerText(), /Phần thứ nhất/);
  assert.equal((await derived('4', 'vs_prev').innerText()).trim(), '111,1');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'editor.png') });
});

test('a figure edited: derived columns follow as the clerk types, and it is saved', async () => {
  const est = cell('4', 'est');
  await est.click();
  await est.fill('640');
  await waitFor('live derived columns', async () => (await derived('4', 'vs_prev').innerText()).trim() === '111,7');
  assert.equal((await derived('4', 'vs_plan').innerText()).trim(), '43,8');
  assert.equal((await derived('4', 'remain').innerText()).trim(), '820');
  const t0 = Date.now();
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/set') && r.status() === 200);
  await est.press('Enter');
  await saved;
  timings.save = Date.now() - t0;
  await page.reload();
  await page.locator('[data-tt="4"]').first().waitFor();
  assert.equal(await cell('4', 'est').inputValue(), '640');
  assert.match(xa('--db', dbA, 'get', 'report-2024-h1/b/0073', 'est'), /^640/);
});

test('a paragraph added and deleted', async () => {
  const before = (await page.request.get(base + '/api/report?report=report-2024-h1').then((r) => r.json())).blocks.length;
  await page.locator('[data-action="add-para"]').first().click();
  await waitFor('a new block', async () =>
    (await page.request.get(base + '/api/report?report=report-2024-h1').then((r) => r.json())).blocks.length === before + 1);
  const doc = await page.request.get(base + '/api/report?report=report-2024-h1').then((r) => r.json());
  const added = doc.blocks.find((b) => !b.id.match(/^\d{4}$/));
  assert.ok(added, 'the new block has a random id');
  // Deleting asks first, in the page (no browser dialog).
  await page.locator(`[data-key="${added.entity}"] [data-action="delete"]`).first().click();
  await page.locator(`[data-key="${added.entity}"] [data-action="confirm-delete"]`).first().click();
  await waitFor('the block deleted', async () => {
    const d2 = await page.request.get(base + '/api/report?report=report-2024-h1').then((r) => r.json());
    return d2.blocks.find((b) => b.id === added.id)?.deleted === true;
  });
});

test('the badge goes from waiting to sent when the district comes up', async () => {
  await waitFor('badge waiting', async () =>
    ['waiting', 'offline'].includes(await page.locator('#sync-badge').getAttribute('data-state')));
  // The daemon logs on stderr only: started, not waited for.
  procs.push(spawn(XA, ['--db', dbA, 'daemon', '--backoff-base', '0.3', '--backoff-cap', '1', '--pull-interval', '1'], { stdio: 'ignore' }));
  await startDistrict();
  await waitFor('badge sent', async () => (await page.locator('#sync-badge').getAttribute('data-state')) === 'sent', 30000);
});

test('a conflict made by a second PC is shown and resolved', async () => {
  xa('--db', dbB, 'sync');
  xa('--db', dbB, 'report', 'edit', 'ind/5/est', '9', '--author', 'Nguyễn Văn Bình');
  xa('--db', dbA, 'report', 'edit', 'ind/5/est', '10', '--author', 'Lê Thị Lan');
  xa('--db', dbB, 'sync');
  await waitFor('the conflict on A', async () => {
    try { xa('--db', dbA, 'get', 'report-2024-h1/b/0074', 'est'); return false; } catch (e) { return e.status === 3; }
  }, 30000);
  await page.reload();
  const conflict = page.locator('.conflict').first();
  await conflict.waitFor();
  if (SHOTS) {
    await conflict.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, 'conflict.png') });
  }
  // Both values are offered; the clerk keeps the second PC's (9), not her own.
  const values = page.locator('.conflict .cv');
  assert.deepEqual((await values.locator('.cv-value').allInnerTexts()).map((v) => v.trim()).sort(), ['10', '9']);
  await values.filter({ has: page.locator('.cv-value', { hasText: /^\s*9\s*$/ }) })
    .locator('[data-action="keep"]').click();
  const getA = () => xa('--db', dbA, 'get', 'report-2024-h1/b/0074', 'est');
  await waitFor('resolved on A', async () => {
    try { getA(); return true; } catch { return false; }
  });
  assert.equal(getA().trim(), '9');
  // The marker goes away in the page as it is, and after a reload.
  const marks = () => page.locator('.conflict, .conflict-mark, .conflict-summary, [data-tt="5"].has-conflict').count();
  await waitFor('the conflict marker gone', async () => (await marks()) === 0);
  assert.equal(await cell('5', 'est').inputValue(), '9');
  await page.reload();
  await page.locator('[data-tt="5"]').first().waitFor();
  assert.equal(await marks(), 0);
  assert.equal(await cell('5', 'est').inputValue(), '9');
  const getB = () => xa('--db', dbB, 'get', 'report-2024-h1/b/0074', 'est');
  await waitFor('resolved on B', async () => {
    try { xa('--db', dbB, 'sync'); getB(); return true; } catch { return false; }
  }, 30000);
  assert.equal(getB().trim(), '9');
});

test('the print view', async () => {
  const print = await browser.newPage({ viewport: { width: 1000, height: 1400 } });
  await print.goto(base + '/print?report=report-2024-h1');
  assert.match(await print.content(), /CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM/);
  if (SHOTS) await print.screenshot({ path: join(SHOTS, 'print.png') });
  await print.close();
});

test('a write from another origin, another host, or without the secret is refused', async () => {
  const port = base.split(':')[2];
  const body = JSON.stringify({ entity: 'report-2024-h1', field: 'title', value: 'hacked', expect: null });
  const post = (headers) => fetch(`${base}/api/set`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
  const secret = await page.locator('meta[name="xasync-secret"]').getAttribute('content');
  assert.equal((await post({ 'X-Xasync-Secret': secret, Origin: 'http://evil.example' })).status, 403);
  assert.equal((await post({ Origin: base })).status, 403);
  // A DNS rebinding arrives with another Host.
  const rebind = await new Promise((resolve) => {
    import('node:http').then(({ request }) => {
      const r = request({ host: '127.0.0.1', port, path: '/api/reports', headers: { Host: 'evil.example' } }, (res) => resolve(res.statusCode));
      r.end();
    });
  });
  assert.equal(rebind, 403);
  // And from a page of another origin, in the browser itself.
  const other = await browser.newPage();
  await other.goto('about:blank');
  const status = await other.evaluate(async (url) => {
    try {
      const r = await fetch(url + '/api/set', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return r.status;
    } catch { return 'blocked'; }
  }, base);
  assert.ok(status === 403 || status === 'blocked', `got ${status}`);
  await other.close();
  assert.doesNotMatch(xa('--db', dbA, 'get', 'report-2024-h1', 'title'), /hacked/);
});

test('a figure is checked at the door by the editor API, as by report edit', async () => {
  const secret = await page.locator('meta[name="xasync-secret"]').getAttribute('content');
  // row 6 (Diện tích gieo trồng vụ đông): est 35
  const ent = 'report-2024-h1/b/0075';
  const set = (field, value, expect) => fetch(`${base}/api/set`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Xasync-Secret': secret, Origin: base },
    body: JSON.stringify({ entity: ent, field, value, expect }),
  });
  const est = () => xa('--db', dbA, 'get', ent, 'est').trim();
  let r = await set('est', '1,460', '35');
  assert.equal(r.status, 400);
  let j = await r.json();
  assert.match(j.error, /ind\/6\/est/);
  assert.match(j.error, /ambiguous/);
  assert.match(j.error, /không rõ nghĩa/);
  assert.equal(est(), '35');
  r = await set('est', '12a', '35');
  assert.equal(r.status, 400);
  assert.match((await r.json()).error, /1\.460 · 636,4/);
  r = await set('note', 'a\nb', null);
  assert.equal(r.status, 400);
  assert.equal(est(), '35');
  r = await set('est', '1460', '35');
  assert.equal(r.status, 200);
  j = await r.json();
  assert.equal(j.value, '1.460');
  assert.equal(est(), '1.460');
  r = await set('est', '35', '1.460');
  assert.equal(r.status, 200);
  // the page says the same as the clerk types, before any save
  await page.reload();
  await page.locator('[data-tt="6"]').first().waitFor();
  const c6 = cell('6', 'est');
  await c6.fill('1,460');
  assert.equal(await c6.getAttribute('aria-invalid'), 'true');
  assert.match(await c6.getAttribute('title'), /không rõ nghĩa: 1\.460 \(nghìn\) hay 1,46/);
  await c6.fill('636.4');
  assert.match(await c6.getAttribute('title'), /636,4\?/);
  await c6.fill('35');
  assert.equal(await c6.getAttribute('aria-invalid'), null);
});

test('a finding with a computed fix has a button that applies it', async () => {
  const secret = await page.locator('meta[name="xasync-secret"]').getAttribute('content');
  const ent = 'report-2024-h1/b/0075';
  // row 6's so với kế hoạch misprinted: 35/35 is 100,0
  const r = await fetch(`${base}/api/set`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Xasync-Secret': secret, Origin: base },
    body: JSON.stringify({ entity: ent, field: 'vs_plan', value: '90,0', expect: '100,0' }),
  });
  assert.equal(r.status, 200);
  await page.reload();
  const btn = page.locator('[data-fix="table.ratio@ind/6/vs_plan"]').first();
  await btn.waitFor();
  assert.match(await btn.innerText(), /100,0/);
  const fixed = page.waitForResponse((x) => x.url().endsWith('/api/fix') && x.status() === 200);
  await btn.click();
  await fixed;
  await waitFor('the fix written', async () => xa('--db', dbA, 'get', ent, 'vs_plan').trim() === '100,0');
  assert.match(xa('--db', dbA, 'log', ent, 'vs_plan'), /90,0 -> 100,0/);
});

// The entity of the indicator row numbered `tt`, from the editor's API.
// A field's value as `xasync get` prints it, without the final newline
// (null: it holds none).
function getField(ent, f) {
  try {
    return xa('--db', dbA, 'get', ent, f).replace(/\n$/, '');
  } catch {
    return null;
  }
}

async function rowEntity(tt) {
  const doc = await page.request.get(base + '/api/report?report=report-2024-h1').then((r) => r.json());
  return doc.blocks.find((b) => b.kind === 'row' && b.tt === tt && !b.deleted).entity;
}

test('"Viết giá trị mới" in a conflict starts empty: typing 648 saves 648', async () => {
  const ent = await rowEntity('7');
  xa('--db', dbB, 'sync');
  xa('--db', dbB, 'report', 'edit', 'ind/7/est', '650', '--author', 'Nguyễn Văn Bình');
  xa('--db', dbA, 'report', 'edit', 'ind/7/est', '652', '--author', 'Lê Thị Lan');
  xa('--db', dbB, 'sync');
  await waitFor('the conflict on A', async () => {
    try { xa('--db', dbA, 'get', ent, 'est'); return false; } catch (e) { return e.status === 3; }
  }, 30000);
  await page.reload();
  const box = page.locator(`.conflict[data-entity="${ent}"][data-field="est"]`);
  await box.waitFor();
  await box.locator('[data-action="write-new"]').click();
  const area = box.locator('.resolve-input');
  assert.equal(await area.inputValue(), '');
  await area.pressSequentially('648');
  await box.locator('[data-action="resolve-save"]').click();
  await waitFor('resolved with 648', async () => {
    try { return xa('--db', dbA, 'get', ent, 'est').trim() === '648'; } catch { return false; }
  });
});

test('typing is saved after a short pause; leaving with unsaved typing asks first', async () => {
  await page.reload();
  const note = cell('8', 'note');
  await note.waitFor();
  const ent = await rowEntity('8');
  // typed, then a pause: saved with no Enter and no Tab; a reload asks nothing
  await note.click();
  await note.pressSequentially('đạt');
  await waitFor('saved after a pause', async () => getField(ent, 'note') === 'đạt', 5000);
  let asked = 0;
  const count = () => { asked++; };
  page.on('dialog', count);
  await waitFor('nothing left unsaved', async () => !(await page.locator('.fld-input.dirty, .fld-input.saving').count()));
  await page.reload();
  await cell('8', 'note').waitFor();
  assert.equal(asked, 0);
  assert.equal(await cell('8', 'note').inputValue(), 'đạt');
  page.off('dialog', count);
  // typed and reloaded at once: the page asks before leaving
  await cell('8', 'note').click();
  await page.keyboard.press('End');
  await page.keyboard.type(' tốt');
  const dialog = page.waitForEvent('dialog');
  const reloading = page.reload({ timeout: 5000 }).catch(() => {});
  const d = await dialog;
  assert.equal(d.type(), 'beforeunload');
  await d.dismiss(); // stay: the typing is still there, and saved after the pause
  await reloading;
  assert.equal(await cell('8', 'note').inputValue(), 'đạt tốt');
  await waitFor('saved after staying', async () => getField(ent, 'note') === 'đạt tốt', 5000);
});

test('a multi-line signer role keeps its lines; a single-line cell refuses a line break', async () => {
  const role = 'TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH';
  xa('--db', dbA, 'report', 'edit', 'header/signer_role', role, '--author', 'Lê Thị Lan');
  await page.reload();
  const f = page.locator('#hf-signer_role');
  await f.waitFor();
  assert.equal(await f.inputValue(), role);
  // clicked into and left with Tab: nothing changes
  await f.click();
  await page.keyboard.press('Tab');
  await sleep(1200);
  assert.equal(xa('--db', dbA, 'get', 'report-2024-h1', 'signer_role').replace(/\n$/, ''), role);
  // written in the page: Enter makes a new line
  await f.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('Phó');
  await page.keyboard.press('Tab');
  await waitFor('the third line saved', async () =>
    xa('--db', dbA, 'get', 'report-2024-h1', 'signer_role').replace(/\n$/, '') === role + '\nPhó', 5000);
  // the text export prints each line
  const text = xa('--db', dbA, 'report', 'export', '--format', 'text');
  assert.match(text, /TM\. ỦY BAN NHÂN DÂN\s*\n\s*CHỦ TỊCH\s*\n\s*Phó/);
  // Chỉ tiêu is one line: Shift+Enter stores no line break
  const ent = await rowEntity('8');
  const name = cell('8', 'name');
  const before = getField(ent, 'name');
  await name.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' x');
  await page.keyboard.press('Shift+Enter'); // up to row 7, saving row 8 as one line
  await waitFor('the name saved', async () => getField(ent, 'name') === before + ' x', 5000);
  // a line break pasted in becomes a space
  await name.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText('\ny');
  assert.equal(await name.inputValue(), before + ' x y');
  await page.keyboard.press('Tab');
  await waitFor('the paste saved', async () => getField(ent, 'name') === before + ' x y', 5000);
});

test('a printed derived value is not called computed, and its fix is one click', async () => {
  const secret = await page.locator('meta[name="xasync-secret"]').getAttribute('content');
  const ent = await rowEntity('6');
  // row 6 so với kế hoạch printed 90,0 where 35/35 gives 100,0
  const r = await fetch(`${base}/api/set`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Xasync-Secret': secret, Origin: base },
    body: JSON.stringify({ entity: ent, field: 'vs_plan', value: '90,0', expect: getField(ent, 'vs_plan') }),
  });
  assert.equal(r.status, 200);
  await page.reload();
  const d = derived('6', 'vs_plan');
  await d.waitFor();
  assert.equal((await d.innerText()).trim(), '90,0');
  const title = await d.getAttribute('title');
  assert.doesNotMatch(title, /Tự tính/);
  assert.match(title, /Số in trong báo cáo.*100,0/);
  const fix = page.locator('[data-fix="table.ratio@ind/6/vs_plan"]').first();
  assert.equal((await fix.innerText()).trim(), 'Sửa thành 100,0');
  await fix.click();
  await waitFor('the fix shown', async () => (await derived('6', 'vs_plan').innerText()).trim() === '100,0');
  assert.equal(getField(ent, 'vs_plan'), '100,0');
  assert.match(await derived('6', 'vs_plan').getAttribute('title'), /Tự tính/);
  assert.equal(await page.locator('[data-fix="table.ratio@ind/6/vs_plan"]').count(), 0);
  // the fix is undone like a save: the printed value written back, with history
  await waitFor('the undo button on', async () => !(await page.locator('#undo-btn').isDisabled()));
  await page.locator('#undo-btn').click();
  await waitFor('90,0 written back', async () => getField(ent, 'vs_plan') === '90,0');
  assert.match(xa('--db', dbA, 'log', ent, 'vs_plan'), /100,0 -> 90,0/);
  await waitFor('its button back', async () => (await page.locator('[data-fix="table.ratio@ind/6/vs_plan"]').count()) === 1);
});

test('Tab from Ghi chú then Enter inserts no row', async () => {
  await page.reload();
  const rows = () => page.request.get(base + '/api/report?report=report-2024-h1')
    .then((r) => r.json()).then((d) => d.blocks.filter((b) => !b.deleted).length);
  const n = await rows();
  let adds = 0;
  const onReq = (q) => { if (q.url().endsWith('/api/add')) adds++; };
  page.on('request', onReq);
  await cell('9', 'note').click();
  await page.keyboard.press('Tab');
  const action = await page.evaluate(() => document.activeElement.dataset.action || document.activeElement.tagName);
  assert.notEqual(action, 'add-row');
  await page.keyboard.press('Enter');
  await sleep(1000);
  page.off('request', onReq);
  assert.equal(adds, 0);
  assert.equal(await rows(), n);
  await page.keyboard.press('Escape');
});

test('Alt+B goes to the indicator table; Alt+K and the outline link go to the first finding', async () => {
  await page.reload();
  await page.waitForSelector('#main table');
  await page.locator('#main').focus();
  await page.keyboard.press('Alt+b');
  const inTable = await page.evaluate(() => !!document.activeElement.closest('#main table') &&
    document.activeElement.matches('.fld-input'));
  assert.ok(inTable, 'Alt+B did not reach a figure of the table');
  const atFinding = () => page.evaluate(() => {
    const a = document.activeElement;
    return !!(a.closest('td.has-finding') || a.closest('.finding') || a.matches('.finding-icon'));
  });
  await page.locator('#main').focus();
  await page.keyboard.press('Alt+k');
  assert.ok(await atFinding(), 'Alt+K did not reach a finding');
  await page.locator('#main').focus();
  const link = page.locator('#outline a[data-jump="finding"]');
  assert.match(await link.textContent(), /Kết quả kiểm tra \(\d+\)/);
  await link.click();
  assert.ok(await atFinding(), 'the outline link did not reach a finding');
});

test('undo (Ctrl+Z and the button) writes the earlier value back, and brings a deleted row back', async () => {
  await page.reload();
  const ent = await rowEntity('10');
  const undoBtn = page.locator('#undo-btn');
  await cell('10', 'est').waitFor();
  assert.equal(await undoBtn.isDisabled(), true); // nothing saved in this page yet
  const est = cell('10', 'est');
  await est.click();
  await est.fill('4');
  await page.keyboard.press('Tab');
  await waitFor('4 saved', async () => getField(ent, 'est') === '4');
  await waitFor('the undo button on', async () => !(await undoBtn.isDisabled()));
  // Ctrl+Z (not typing in a field): a new edit, with history, back to 3
  const undone = page.waitForResponse((x) => x.url().endsWith('/api/set') && x.status() === 200);
  const t0 = Date.now();
  await page.keyboard.press('Control+z');
  await undone;
  timings.undo = Date.now() - t0;
  await waitFor('3 written back', async () => getField(ent, 'est') === '3');
  await waitFor('3 shown', async () => (await cell('10', 'est').inputValue()) === '3');
  assert.match(xa('--db', dbA, 'log', ent, 'est'), /4 -> 3/);
  // Ctrl+Y writes the 4 again; Ctrl+Z takes it back
  await page.keyboard.press('Control+y');
  await waitFor('4 redone', async () => getField(ent, 'est') === '4');
  await waitFor('4 shown', async () => (await cell('10', 'est').inputValue()) === '4');
  await page.keyboard.press('Control+z');
  await waitFor('3 once more', async () => getField(ent, 'est') === '3');
  await waitFor('3 shown', async () => (await cell('10', 'est').inputValue()) === '3');
  // a deleted row comes back with the button
  await page.locator(`[data-key="${ent}"] [data-action="delete-row"]`).first().click();
  await page.locator(`[data-key="${ent}"] [data-action="confirm-delete"]`).first().click();
  await waitFor('row 10 gone', async () => (await page.locator('[data-tt="10"]').count()) === 0);
  assert.equal(getField(ent, 'deleted'), '1');
  await undoBtn.click();
  await waitFor('row 10 back', async () => (await page.locator('[data-tt="10"]').count()) === 1);
  assert.equal(getField(ent, 'deleted'), '');
  assert.equal(await cell('10', 'est').inputValue(), '3');
  await waitFor('nothing left to undo', async () => undoBtn.isDisabled());
  // the history offers "Khôi phục giá trị này" for the 4 (not for the 3 shown)
  await page.locator(`[data-key="${ent}"] [data-action="history"]`).first().click();
  const four = page.locator('#history-body tr').filter({ has: page.locator('.h-after', { hasText: /^4$/ }) });
  await four.first().waitFor();
  assert.equal(await page.locator('#history-body tr').filter({ has: page.locator('.h-after', { hasText: /^3$/ }) })
    .locator('.h-restore').count(), 0);
  await four.locator('.h-restore').first().click();
  await waitFor('4 restored', async () => getField(ent, 'est') === '4');
  await waitFor('4 shown', async () => (await cell('10', 'est').inputValue()) === '4');
  assert.match(xa('--db', dbA, 'log', ent, 'est'), /3 -> 4/);
  // and undone like a save
  await undoBtn.click();
  await waitFor('3 again', async () => getField(ent, 'est') === '3');
});

test('an ops file applied from a second PC shows within 2 s, and the cell being typed in keeps its typing', async () => {
  await page.reload();
  await cell('11', 'note').waitFor();
  const ent12 = await rowEntity('12');
  // the second PC writes a note on row 12 and hands it over as an ops file
  xa('--db', dbB, 'sync');
  xa('--db', dbB, 'set', ent12, 'note', 'Từ máy thứ hai', '--author', 'Nguyễn Văn Bình');
  const ops = join(dir, 'live.ops.json');
  const have = join(dir, 'live.have.json');
  writeFileSync(have, xa('--db', dbA, 'have'));
  writeFileSync(ops, xa('--db', dbB, 'export-ops', '--have', have));
  const before = await page.request.get(base + '/api/changes').then((r) => r.json());
  // the clerk types in row 11's note, a key every 150 ms (no autosave in between)
  const typing = cell('11', 'note');
  await typing.click();
  await typing.fill('');
  const words = 'đang gõ dở dang';
  const typed = page.keyboard.type(words, { delay: 250 });
  await sleep(300);
  xa('--db', dbA, 'apply', ops);
  const t0 = Date.now();
  let shownWhileTyping = false;
  try {
    for (;;) {
      if ((await cell('12', 'note').inputValue()) === 'Từ máy thứ hai') break;
      assert.ok(Date.now() - t0 < 10000, 'the applied value is not shown after 10 s');
      await sleep(50);
    }
    /* the goal is under 2 s: a figure, printed (bench: live update) */
    timings.live_update = Date.now() - t0;
    shownWhileTyping = (await typing.inputValue()).length < words.length;
  } finally {
    await typed;
  }
  // shown while the clerk was still typing: her typing and focus are kept
  assert.ok(shownWhileTyping, 'the update came after the typing ended');
  assert.equal(await typing.inputValue(), words);
  assert.equal(await typing.evaluate((el) => el === document.activeElement), true);
  await waitFor('her note saved', async () => getField(await rowEntity('11'), 'note') === words, 5000);
  const afterV = await page.request.get(base + '/api/changes').then((r) => r.json());
  assert.notEqual(afterV.version, before.version);
  assert.equal(getField(ent12, 'note'), 'Từ máy thứ hai');
});

test('an edit from another program (xasync set) on the same PC shows without reload', async () => {
  const ent13 = await rowEntity('13');
  xa('--db', dbA, 'set', ent13, 'note', 'Sửa bằng lệnh', '--author', 'Lê Thị Lan');
  await waitFor('the set shown', async () => (await cell('13', 'note').inputValue()) === 'Sửa bằng lệnh', 3000);
});

// ---- the second PC's editor: everything the command line does, in the page

let pageB, baseB, daemonByPage = 0;
const getB = (ent, f) => { try { return xa('--db', dbB, 'get', ent, f).replace(/\n$/, ''); } catch { return null; } };

test('the second PC: its own editor; the sending program off, in plain words, with a button', async () => {
  const ui = await start(XA, ['--db', dbB, 'ui', '--listen', '127.0.0.1:0', '--author', 'Nguyễn Văn Bình'],
    /http:\/\/(127\.0\.0\.1:\d+)\//);
  baseB = `http://${ui.m[1]}`;
  pageB = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  await pageB.goto(baseB + '/');
  await pageB.locator('[data-tt="4"]').first().waitFor();
  await pageB.locator('#exchange-btn').click();
  await waitFor('the daemon told off', async () => /đang tắt/.test(await pageB.locator('#daemon-state').innerText()));
  assert.equal(await pageB.locator('#daemon-start').isVisible(), true);
  assert.equal(await pageB.locator('#daemon-off').isVisible(), true);
  if (SHOTS) await pageB.screenshot({ path: join(SHOTS, 'exchange.png') });
  await pageB.keyboard.press('Escape');
  assert.equal(await pageB.locator('#exchange').isVisible(), false);
});

// The top bar is one line: its items on one row, none past its right edge,
// and its height that of one line (its tallest item and its padding).
async function oneLine(p, what) {
  const m = await p.evaluate(() => {
    const bar = document.getElementById('topbar');
    const cs = getComputedStyle(bar);
    const kids = [...bar.children].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).position !== 'absolute';
    });
    const rects = kids.map((e) => e.getBoundingClientRect());
    const tallest = Math.max(...rects.map((r) => r.height));
    const line = Math.max(tallest + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom)
      + parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth), parseFloat(cs.minHeight) || 0);
    return {
      height: bar.getBoundingClientRect().height, line, tallest,
      span: Math.max(...rects.map((r) => r.bottom)) - Math.min(...rects.map((r) => r.top)),
      right: Math.max(...rects.map((r) => r.right)), edge: bar.getBoundingClientRect().right - parseFloat(cs.paddingRight),
      items: kids.map((e) => `${e.id || e.className}:${Math.round(e.getBoundingClientRect().width)}`).join(' '),
    };
  });
  assert.ok(m.span <= m.tallest + 1, `${what}: the items are on more than one row (${m.items})`);
  assert.ok(Math.abs(m.height - m.line) <= 1, `${what}: the bar is ${m.height}px high, one line is ${m.line}px (${m.items})`);
  assert.ok(m.right <= m.edge + 1, `${what}: an item goes past the bar's right edge (${m.right} > ${m.edge}: ${m.items})`);
  return m;
}

test('the top bar stays on one line at 1366×768 and 1280×720, in Vietnamese, with every button', async () => {
  for (const [p, who] of [[page, 'A'], [pageB, 'B, its sending program off']]) {
    await p.locator('[data-tt="4"]').first().waitFor();
    assert.equal(await p.locator('html').getAttribute('lang'), 'vi');
    for (const [w, hh] of [[1366, 768], [1280, 720]]) {
      await p.setViewportSize({ width: w, height: hh });
      await oneLine(p, `${who} at ${w}×${hh}`);
    }
    await p.setViewportSize({ width: 1366, height: 768 });
  }
  // B shows "Bật tự gửi" too, and the undo and redo buttons keep their names
  assert.equal(await pageB.locator('#daemon-off').isVisible(), true);
  assert.equal(await page.locator('#undo-btn').getAttribute('aria-label'), 'Hoàn tác');
  assert.equal(await page.locator('#redo-btn').getAttribute('aria-label'), 'Làm lại');
  // the badge's words, when cut short, are whole in its tooltip or readable
  const badge = await page.locator('#sync-badge .badge-text').evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, title: el.closest('#sync-badge').title, text: el.textContent }));
  assert.ok(!badge.cut || badge.title.includes(badge.text), `the badge is cut and its tooltip lacks "${badge.text}"`);
});

test('"Gửi ngay" runs a sync against the district; its failure is told in Vietnamese, and in English', async () => {
  const ent = await rowEntity('14');
  const note = pageB.locator('[data-tt="14"] [data-field="note"]').first();
  await note.click();
  await note.fill('Gửi từ máy B');
  await note.press('Enter');
  await waitFor('saved on B', async () => getB(ent, 'note') === 'Gửi từ máy B');
  await pageB.locator('#sync-now').click();
  await waitFor('sync done', async () => /Đã gửi xong/.test(await pageB.locator('#sync-result').innerText()), 30000);
  // A's daemon pulls it from the district
  await waitFor('on A through the district', async () => getField(ent, 'note') === 'Gửi từ máy B', 30000);
  // the district down: the clerk's words, the detail after them; nothing lost
  await stop(server);
  await pageB.locator('#sync-now').click();
  await waitFor('sync failed', async () => /Không kết nối được máy chủ huyện/.test(await pageB.locator('#sync-result').innerText()), 30000);
  assert.equal(await pageB.locator('#sync-result').getAttribute('class'), 'result-bad');
  await pageB.locator('#lang-btn').click();
  await pageB.locator('#sync-now').click();
  await waitFor('in English', async () => /Cannot reach the district server/.test(await pageB.locator('#sync-result').innerText()), 30000);
  await pageB.locator('#lang-btn').click();
  assert.equal(getB(ent, 'note'), 'Gửi từ máy B');
  await startDistrict();
});

test('"Gửi lên huyện" sends a report on the district form; a returned report shows the district\'s reason', async () => {
  xd('--db', ddb, 'form', 'add', '--from-report', SEED, '--id', 'sk6-2024');
  await pageB.locator('#exchange-btn').click();
  await pageB.locator('#sync-now').click();
  await waitFor('the form on B', async () => /Đã gửi xong/.test(await pageB.locator('#sync-result').innerText()), 30000);
  xa('--db', dbB, 'report', 'new', '--form', 'sk6-2024', '--period', '2024-h1', '--id', 'bc-2024-h1', '--author', 'Nguyễn Văn Bình');
  // the new report reaches the open page's list by itself
  await waitFor('the new report listed', async () =>
    (await pageB.locator('#report-picker option[value="bc-2024-h1"]').count()) === 1, 15000);
  await pageB.locator('#report-picker').selectOption('bc-2024-h1');
  await waitFor('its state', async () => /Bản nháp/.test(await pageB.locator('#report-state').innerText()));
  // the imported report (no form) says why it cannot be sent: the button is off there
  await pageB.locator('#submit-btn').click();
  await waitFor('sent', async () => /đã được gửi lên huyện/.test(await pageB.locator('#submit-result').innerText()), 30000);
  assert.match(xa('--db', dbB, 'report', 'state', '--report', 'bc-2024-h1'), /sent/);
  await waitFor('the state note', async () => (await pageB.locator('#state-note').getAttribute('data-state').catch(() => null)) === 'sent');
  xd('--db', ddb, 'return', 'hoang-kim', 'bc-2024-h1', '--reason', 'Sửa dòng 9: đơn vị');
  await pageB.locator('#sync-now').click();
  await waitFor('returned', async () => (await pageB.locator('#state-note').getAttribute('data-state').catch(() => null)) === 'returned', 30000);
  assert.match(await pageB.locator('#state-note').innerText(), /Huyện đã trả lại báo cáo này\. Lý do: Sửa dòng 9: đơn vị/);
  assert.match(await pageB.locator('#report-state').innerText(), /Sửa dòng 9: đơn vị/);
  if (SHOTS) await pageB.screenshot({ path: join(SHOTS, 'returned.png') });
  await pageB.locator('#report-picker').selectOption('report-2024-h1');
  await waitFor('no form', async () => /chưa gắn với biểu mẫu/.test(await pageB.locator('#report-state').innerText()));
  assert.equal(await pageB.locator('#submit-btn').isDisabled(), true);
});

test('USB exchange in the page: the file for the other PC, a file taken in, a bad file refused', async () => {
  // "máy này đang có": the file is what `xasync have` prints
  const haveDl = pageB.waitForEvent('download');
  await pageB.locator('#have-btn').click();
  const haveFile = join(dir, 'b-have.json');
  await (await haveDl).saveAs(haveFile);
  assert.deepEqual(JSON.parse(readFileSync(haveFile, 'utf8')), JSON.parse(xa('--db', dbB, 'have')));
  // B writes; the file for A made with A's "have"; A takes it in
  const ent = await rowEntity('16');
  xa('--db', dbB, 'set', ent, 'note', 'Qua USB từ B', '--author', 'Nguyễn Văn Bình');
  const aHave = join(dir, 'a-have.json');
  writeFileSync(aHave, xa('--db', dbA, 'have'));
  await pageB.locator('#have-file').setInputFiles(aHave);
  const opsDl = pageB.waitForEvent('download');
  await pageB.locator('#export-btn').click();
  const opsFile = join(dir, 'b-to-a.json');
  await (await opsDl).saveAs(opsFile);
  assert.match(await pageB.locator('#usb-result').innerText(), /Đã lưu tệp xasync-ops-hoang-kim-/);
  xa('--db', dbA, 'apply', opsFile);
  assert.equal(getField(ent, 'note'), 'Qua USB từ B');
  // A writes; its file uploaded in B's page is taken in and shown
  const ent2 = await rowEntity('17');
  xa('--db', dbA, 'set', ent2, 'note', 'Qua USB từ A', '--author', 'Lê Thị Lan');
  const aToB = join(dir, 'a-to-b.json');
  writeFileSync(aToB, xa('--db', dbA, 'export-ops', '--have', haveFile));
  await pageB.locator('#apply-file').setInputFiles(aToB);
  await pageB.locator('#apply-btn').click();
  await waitFor('taken in', async () => /Đã nhận tệp: \d+ thay đổi mới/.test(await pageB.locator('#usb-result').innerText()));
  assert.equal(getB(ent2, 'note'), 'Qua USB từ A');
  await waitFor('shown', async () => (await pageB.locator('[data-tt="17"] [data-field="note"]').first().inputValue()) === 'Qua USB từ A');
  // a file that is not an ops file: refused in her words, nothing changed
  const haveBefore = xa('--db', dbB, 'have');
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"format": "xasync-ops", "version": 1, "scope": "hoang-kim", "nodes": ');
  await pageB.locator('#apply-file').setInputFiles(bad);
  await pageB.locator('#apply-btn').click();
  await waitFor('refused', async () => /không phải tệp thay đổi của xasync/.test(await pageB.locator('#usb-result').innerText()));
  assert.match(await pageB.locator('#usb-result').innerText(), /not valid JSON/);
  // another commune's file
  const other = join(dir, 'other.json');
  writeFileSync(other, readFileSync(aToB, 'utf8').replace('"scope":"hoang-kim"', '"scope":"hoang-phu"'));
  await pageB.locator('#apply-file').setInputFiles(other);
  await pageB.locator('#apply-btn').click();
  await waitFor('another commune', async () => /của xã khác/.test(await pageB.locator('#usb-result').innerText()));
  assert.equal(xa('--db', dbB, 'have'), haveBefore);
  // no secret: refused, nothing applied
  const r = await pageB.request.post(baseB + '/api/apply', { data: readFileSync(aToB, 'utf8'), headers: { 'Content-Type': 'application/json' } });
  assert.equal(r.status(), 403);
  assert.equal(xa('--db', dbB, 'have'), haveBefore);
});

test('"Bật chương trình tự gửi" starts the daemon; the page then says it runs', async () => {
  const started = pageB.waitForResponse((x) => x.url().endsWith('/api/daemon') && x.status() === 200);
  await pageB.locator('#daemon-start').click();
  daemonByPage = (await (await started).json()).pid;
  assert.ok(daemonByPage > 0);
  await waitFor('the daemon running', async () => /đang chạy/.test(await pageB.locator('#daemon-state').innerText()), 15000);
  assert.equal(await pageB.locator('#daemon-off').isVisible(), false);
  assert.equal(JSON.parse(xa('--db', dbB, 'status', '--json')).daemon, true);
  process.kill(daemonByPage, 'SIGTERM');
  await waitFor('the daemon stopped', async () => /đang tắt/.test(await pageB.locator('#daemon-state').innerText()), 15000);
});

test('the author chosen in the page is carried by every edit and remembered for this PC', async () => {
  await page.goto(base + '/');
  await page.locator('#report-picker').selectOption('report-2024-h1'); // B's report came through the district
  await cell('18', 'note').waitFor();
  assert.equal(await page.locator('#author-name').innerText(), 'Lê Thị Lan');
  await page.locator('#author-btn').click();
  // empty: refused in her words, nothing changed
  await page.locator('#author-input').fill('   ');
  await page.locator('#author-form button[type="submit"]').click();
  await waitFor('refused', async () => /Không đổi được tên người sửa\. \(Chi tiết: tên người sửa trống/.test(await page.locator('#author-error').innerText()));
  assert.equal(existsSync(dbA + '.author'), false);
  const bad = await page.request.post(base + '/api/author', { data: { author: 'a\tb' },
    headers: { 'X-Xasync-Secret': await page.locator('meta[name="xasync-secret"]').getAttribute('content') } });
  assert.equal(bad.status(), 400);
  assert.match((await bad.json()).error, /control character/);
  assert.equal((await page.request.get(base + '/api/author').then((r) => r.json())).author, 'Lê Thị Lan');
  // a name: kept beside the database, and on every edit from now on
  await page.locator('#author-input').fill('Trần Thị Hoa');
  await page.locator('#author-input').press('Enter');
  await waitFor('the name shown', async () => (await page.locator('#author-name').innerText()) === 'Trần Thị Hoa');
  assert.equal(readFileSync(dbA + '.author', 'utf8'), 'Trần Thị Hoa\n');
  const ent = await rowEntity('18');
  const note = cell('18', 'note');
  await note.click();
  await note.fill('Do Hoa ghi');
  await note.press('Enter');
  await waitFor('saved', async () => getField(ent, 'note') === 'Do Hoa ghi');
  assert.match(xa('--db', dbA, 'log', ent, 'note'), /Trần Thị Hoa/);
  // the next start of the editor on this PC (no --author) writes as her
  const again = await start(XA, ['--db', dbA, 'ui', '--listen', '127.0.0.1:0'], /http:\/\/(127\.0\.0\.1:\d+)\//);
  const base2 = `http://${again.m[1]}`;
  assert.equal((await page.request.get(base2 + '/api/author').then((r) => r.json())).author, 'Trần Thị Hoa');
  await stop(again.p);
});

test('help in Vietnamese: the marks, the USB exchange, conflicts; in English too', async () => {
  await page.locator('#help-btn').click();
  await page.locator('#help').waitFor();
  const body = () => page.locator('#help-body').innerText();
  const vi = await body();
  for (const re of [/Đã gửi lên huyện/, /Thay đổi đang chờ gửi/, /Mất kết nối/, /Chưa đặt máy chủ huyện/, /XUNG ĐỘT/,
    /Trao đổi bằng USB/, /Tải tệp «máy này đang có»/, /Nhận tệp vào máy này/, /Xung đột là gì, xử lý thế nào/,
    /Giữ giá trị này/, /Viết giá trị mới/]) assert.match(vi, re);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'help.png') });
  await page.locator('#lang-btn').click();
  await waitFor('in English', async () => /What a conflict is, and how to settle it/.test(await body()));
  await page.locator('#lang-btn').click();
  await page.keyboard.press('Escape');
  await waitFor('closed', async () => !(await page.locator('#help').isVisible()));
});

test('first run in the page: no database, the setup page tests the connection and creates it; then a report from the form, a .txt or .docx file, or a copy of last period\'s report', async () => {
  // a commune added after the form: it receives the form with its first sync
  const tok = join(dir, 'hp.token');
  writeFileSync(tok, xd('--db', ddb, 'commune', 'add', 'hoang-phu', '--name', 'Xã Hoằng Phụ').trim().split('\n').pop() + '\n');
  const dbC = join(dir, 'new-pc', 'sub', 'c.db');
  const ui = await start(XA, ['--db', dbC, 'ui', '--listen', '127.0.0.1:0', '--author', 'Phạm Văn Cường'],
    /http:\/\/(127\.0\.0\.1:\d+)\//);
  const baseC = `http://${ui.m[1]}`;
  const pc = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const url = `http://127.0.0.1:${districtPort}`;
  // the district's list of communes: codes and names only, with no key
  const communes = await fetch(url + "/v1/communes").then(async (r) => [r.status, await r.json()]);
  assert.equal(communes[0], 200);
  assert.deepEqual(communes[1].communes.find((c) => c.scope === 'hoang-phu'), { scope: 'hoang-phu', name: 'Xã Hoằng Phụ' });
  for (const c of communes[1].communes) assert.deepEqual(Object.keys(c).sort(), ['name', 'scope']);
  assert.equal((await fetch(url + '/v1/communes', { method: 'POST', body: '{}' })).status, 405);
  assert.equal((await fetch(url + '/v1/scopes')).status, 401); // the rest still needs a key
  // the district down: the page says so and the commune's code is typed
  await stop(server);
  await pc.goto(baseC + '/');
  await pc.locator('#setup').waitFor();
  const note = () => pc.locator('#setup-scope-note').getAttribute('data-state');
  await pc.locator('#setup-url').fill(url);
  await pc.locator('#setup-url').blur();
  await waitFor('the typed box offered', async () => (await note()) === 'typed', 15000);
  assert.match(await pc.locator('#setup-scope-note').innerText(), /Chưa lấy được danh sách xã từ máy chủ huyện/);
  assert.equal(await pc.locator('#setup-scope').isVisible(), true);
  assert.equal(await pc.locator('#setup-scope-list').isVisible(), false);
  const go = async (scope, addr, token) => {
    await pc.locator('#setup-url').fill(addr);
    await pc.locator('#setup-url').blur();
    if (await pc.locator('#setup-scope-list').isVisible()) await pc.locator('#setup-scope-list').selectOption(scope);
    else await pc.locator('#setup-scope').fill(scope);
    await pc.locator('#setup-token').fill(token);
    await pc.locator('#setup-result').evaluate((el) => { el.textContent = ''; });
    await pc.locator('#setup-go').click();
    await waitFor('an answer', async () => {
      const x = await pc.locator('#setup-result').innerText();
      return x && !/Đang kiểm tra/.test(x) ? x : false;
    }, 30000);
    return pc.locator('#setup-result').innerText();
  };
  // bad inputs: told in her words; no database left behind
  assert.match(await go('Xã Hoằng Phụ', url, 'x'), /Mã xã không đúng dạng/);
  assert.match(await go('hoang-phu', '127.0.0.1:1', 'x'), /phải bắt đầu bằng http:\/\/ hoặc https:\/\//);
  // the district up: its communes in a list, the typed box put away
  await startDistrict();
  await pc.locator('#setup-url').fill(url);
  await pc.locator('#setup-url').blur();
  await waitFor('the list of communes', async () => (await note()) === 'list', 15000);
  assert.equal(await pc.locator('#setup-scope').isVisible(), false);
  const options = await pc.locator('#setup-scope-list option').allInnerTexts();
  assert.ok(options.includes('Xã Hoằng Phụ (hoang-phu)'), options.join(' | '));
  assert.ok(options.includes('Xã Hoằng Kim (hoang-kim)'), options.join(' | '));
  assert.match(options[options.length - 1], /Xã khác: gõ mã xã/);
  if (SHOTS) {
    await pc.locator('#setup-token').fill('');
    await pc.locator('#setup-result').evaluate((el) => { el.textContent = ''; });
    await pc.screenshot({ path: join(SHOTS, 'setup.png') });
  }
  assert.match(await go('hoang-phu', url, 'not-the-key'), /Máy chủ huyện từ chối máy này/);
  assert.equal(existsSync(dbC), false);
  // the key file from the district's USB stick
  await pc.locator('#setup-token').fill('');
  await pc.locator('#setup-token-file').setInputFiles(tok);
  await waitFor('the key read', async () => (await pc.locator('#setup-token').inputValue()).length > 10);
  await pc.locator('#setup-url').fill(url);
  await pc.locator('#setup-scope-list').selectOption('hoang-phu');
  await pc.locator('#setup-go').click();
  // connected: the page offers a report from the district's form, or a file
  await pc.locator('#start').waitFor({ timeout: 30000 });
  assert.equal(existsSync(dbC), true);
  assert.equal(JSON.parse(xa('--db', dbC, 'status', '--json')).remote, url);
  assert.equal(await pc.locator('#new-form option[value="sk6-2024"]').count(), 1);
  // a wrong period: refused, nothing made
  await pc.locator('#new-period').fill('2024-13');
  await pc.locator('#new-go').click();
  await waitFor('refused', async () => /Không tạo được báo cáo/.test(await pc.locator('#new-result').innerText()));
  assert.equal(xa('--db', dbC, 'report', 'list').trim(), '');
  await pc.locator('#new-period').fill('2024-h1');
  await pc.locator('#new-go').click();
  await pc.locator('table.ind tr.row').first().waitFor({ timeout: 15000 });
  assert.match(xa('--db', dbC, 'report', 'list'), /2024-h1/);
  // another one from a .txt file: a file that is no report is refused, the seed is taken
  await pc.locator('#exchange-btn').click();
  await pc.locator('#new-report-btn').click();
  const junk = join(dir, 'junk.txt');
  writeFileSync(junk, 'Xin chào\n');
  await pc.locator('#import-file').setInputFiles(junk);
  await pc.locator('#import-go').click();
  await waitFor('junk refused', async () => /Không nhập được báo cáo từ tệp này; máy này không thay đổi gì\. \(Chi tiết: not a report/.test(await pc.locator('#new-result').innerText()));
  const listed = xa('--db', dbC, 'report', 'list');
  await pc.locator('#import-file').setInputFiles(SEED);
  await pc.locator('#import-go').click();
  await waitFor('the seed shown', async () => (await pc.locator('[data-tt="4"]').count()) > 0, 15000);
  assert.notEqual(xa('--db', dbC, 'report', 'list'), listed);
  assert.match(xa('--db', dbC, 'report', 'list'), /report-2024-h1/);
  // a Word file (.docx) through the same importer: a damaged one and an
  // OpenDocument file refused in her words, nothing stored; the seed as
  // .docx (the program's own export) taken in
  const newResult = () => pc.locator('#new-result').innerText();
  // the start page drawn anew (not the one it replaces, still on screen)
  const freshStart = async () => {
    await pc.evaluate(() => { const el = document.getElementById('start'); if (el) el.dataset.old = '1'; });
    await pc.locator('#exchange-btn').click();
    await pc.locator('#new-report-btn').click();
    await pc.locator('#start:not([data-old])').waitFor();
  };
  const importFile = async (file) => {
    await freshStart();
    await pc.locator('#import-file').setInputFiles(file);
    await pc.locator('#import-go').click();
  };
  const haveC = xa('--db', dbC, 'have');
  const listC = xa('--db', dbC, 'report', 'list');
  const damaged = join(dir, 'hong.docx');
  writeFileSync(damaged, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(300, 7)]));
  await importFile(damaged);
  await waitFor('the damaged .docx refused', async () => /Không nhập được báo cáo từ tệp này; máy này không thay đổi gì\. \(Chi tiết: tệp \.docx bị hỏng/.test(await newResult()));
  assert.doesNotMatch(await newResult(), /its zip is damaged/); // her language only
  const odt = join(dir, 'bao-cao.docx');
  execFileSync('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z:\n'
    + '    z.writestr("mimetype", "application/vnd.oasis.opendocument.text")\n    z.writestr("content.xml", "<x/>")', odt]);
  await importFile(odt);
  await waitFor('the .odt refused', async () => /\(Chi tiết: tệp là văn bản OpenDocument \(\.odt\), xasync không đọc được/.test(await newResult()));
  assert.equal(xa('--db', dbC, 'have'), haveC);
  assert.equal(xa('--db', dbC, 'report', 'list'), listC);
  const seedDocx = join(dir, 'seed.docx');
  xa('--db', dbA, 'report', 'export', '--report', 'report-2024-h1', '--format', 'docx', '-o', seedDocx);
  await importFile(seedDocx);
  await waitFor('the .docx imported', async () => xa('--db', dbC, 'report', 'list') !== listC, 15000);
  await waitFor('shown', async () => (await pc.locator('[data-tt="4"]').count()) > 0, 15000);
  const fromDocx = xa('--db', dbC, 'report', 'list').trim().split('\n').find((r) => !listC.includes(r));
  assert.ok(fromDocx, 'no new report from the .docx');
  const docxRow4 = JSON.parse(xa('--db', dbC, 'report', 'outline', '--report', fromDocx, '--json'));
  assert.ok(Array.isArray(docxRow4) && docxRow4.length > 5, 'the .docx report has its outline');
  // a copy of last period's report: the narrative kept, this period's figures
  // in the previous period's column, this period's column empty
  const seedId = listC.trim().split('\n').find((id) => {
    try { return xa('--db', dbC, 'report', 'export', '--report', id).includes('636,4'); } catch { return false; }
  });
  assert.ok(seedId, 'the seed on the new PC');
  await freshStart();
  await pc.locator('#copy-from').selectOption(seedId);
  assert.equal(await pc.locator('#copy-period').inputValue(), '2024-h2'); // the next period, proposed
  if (SHOTS) {
    await pc.locator('#copy-go').scrollIntoViewIfNeeded();
    await pc.screenshot({ path: join(SHOTS, 'copy.png') });
  }
  const haveCopy = xa('--db', dbC, 'have');
  await pc.locator('#copy-period').fill('2025-13');
  await pc.locator('#copy-go').click();
  await waitFor('a wrong period refused', async () => /Không chép được báo cáo; máy này không thay đổi gì\. \(Chi tiết: kỳ báo cáo '2025-13' không hợp lệ/.test(await newResult()));
  assert.equal(xa('--db', dbC, 'have'), haveCopy);
  await pc.locator('#copy-period').fill('2025-h1');
  await pc.locator('#copy-go').click();
  await waitFor('the copy shown', async () => (await pc.locator('#report-picker').inputValue()) === 'report-2025-h1', 15000);
  const cellC = (tt, col) => pc.locator(`[data-tt="${tt}"] [data-field="${col}"]`).first();
  await waitFor('row 4 of the copy', async () => (await cellC('4', 'prev').count()) > 0 && (await cellC('4', 'prev').inputValue()) === '636,4', 15000);
  assert.equal(await cellC('4', 'est').inputValue(), '');
  assert.equal(await cellC('8', 'prev').inputValue(), '36.054');
  assert.equal((await pc.locator('[data-tt="4"] [data-derived="vs_prev"]').first().innerText()).trim(), '');
  assert.match(await pc.locator('#hf-title').inputValue(), /Sơ kết công tác thi đua khen thưởng 6 tháng đầu năm.*năm 2025$/);
  const copied = JSON.parse(xa('--db', dbC, 'report', 'export', '--report', 'report-2025-h1', '--format', 'json'));
  const row4 = copied.blocks.find((b) => b.kind === 'row' && b.tt === '4');
  assert.equal(row4.prev, '636,4');
  assert.equal(row4.est, '');
  // the key stays beside the database, for the clerk only; the next sync works
  assert.equal(statSync(dbC + '.token').mode & 0o777, 0o600);
  xa('--db', dbC, 'sync');
  await pc.close();
  await stop(ui.p);
});
