// The district desk in a real browser: Debian's chromium, headless, driven by
// playwright-core (installed in tests/ui), against the real `xasync-district
// serve` and real `xasync` PCs syncing through it on loopback.  Run by ctest
// (tests/CMakeLists.txt) with XA_BIN, XA_DISTRICT_BIN, XA_SEED_REPORT,
// XA_PYTHON3 (with python3-openpyxl) and XA_SHOTS in the environment;
// screenshots go to XA_SHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '../ui/node_modules/playwright-core/index.mjs';

const XA = process.env.XA_BIN;
const XD = process.env.XA_DISTRICT_BIN;
const SEED = process.env.XA_SEED_REPORT;
const SHOTS = process.env.XA_SHOTS;
const PY = process.env.XA_PYTHON3 || '/usr/bin/python3';
const CHROMIUM = process.env.XA_CHROMIUM || '/usr/bin/chromium';
const PW = 'mat-khau-huyen-2024';
const FORM = 'sk6-2024';
const PERIOD = '2024-h1';

const dir = mkdtempSync(join(tmpdir(), 'xasync-desk-'));
const ddb = join(dir, 'district.db');
const procs = [];
let browser, page, base, evil, server;

const xa = (...args) => execFileSync(XA, args, { encoding: 'utf8', timeout: 60000 });
const xd = (...args) => execFileSync(XD, ['--db', ddb, ...args], { encoding: 'utf8', timeout: 60000 });
const py = (code, ...args) => execFileSync(PY, ['-c', code, ...args], { encoding: 'utf8', timeout: 60000 });

function start(bin, args, re) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin}: no "${re}" in 10 s: ${out}`)), 10000);
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

// What the desk must never change on a refused request: every op held, the
// users, the deadlines (the sessions and failed logins are not data).
const digest = () => py(`
import hashlib, sqlite3, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
h = hashlib.sha256()
for q in ('SELECT * FROM journal ORDER BY scope, node, seq', 'SELECT * FROM field ORDER BY 1, 2, 3',
          'SELECT * FROM desk_user ORDER BY name', 'SELECT * FROM desk_deadline ORDER BY 1, 2'):
    for row in db.execute(q):
        h.update(repr(row).encode())
print(h.hexdigest())`, ddb);

const communes = [
  ['hoang-kim', 'Xã Hoằng Kim'], // sent, returned from the page, resent, accepted
  ['hoang-ha', 'Xã Hoằng Hà'], // a draft
  ['hoang-phu', 'Xã Hoằng Phú'], // nothing
  ['hoang-xuan', 'Xã Hoằng Xuân'], // sent
  ['hoang-son', 'Xã Hoằng Sơn'], // sent, then returned by the district's command
];
const pcdb = (scope) => join(dir, `${scope}.db`);
const tokens = {};

async function login(name, password) {
  await page.goto(base + '/desk/login');
  await page.fill('#name', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('#login')]);
}

before(async () => {
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  xd('init');
  for (const [scope, name] of communes) {
    tokens[scope] = join(dir, `${scope}.token`);
    writeFileSync(tokens[scope], xd('commune', 'add', scope, '--name', name));
  }
  xd('form', 'add', '--from-report', SEED, '--id', FORM);
  xd('deadline', 'set', FORM, PERIOD, '2099-12-31');
  const pw = join(dir, 'pw');
  writeFileSync(pw, PW + '\n');
  xd('user', 'add', 'lan', '--role', 'admin', '--password-file', pw);
  xd('user', 'add', 'minh', '--role', 'officer', '--password-file', pw);
  xd('user', 'add', 'hoa', '--role', 'officer', '--password-file', pw);
  const sv = await start(XD, ['--db', ddb, 'serve', '--listen', '127.0.0.1:0'], /listening on .*:(\d+)/);
  server = sv.p;
  base = `http://127.0.0.1:${sv.m[1]}`;
  for (const [scope] of communes) {
    xa('--db', pcdb(scope), 'init', '--scope', scope);
    xa('--db', pcdb(scope), 'remote', 'set', base, '--token-file', tokens[scope]);
    xa('--db', pcdb(scope), 'sync');
    if (scope === 'hoang-phu') continue;
    xa('--db', pcdb(scope), 'report', 'import', SEED, '--author', 'Văn thư ' + scope);
    if (scope !== 'hoang-ha') xa('--db', pcdb(scope), 'report', 'submit', '--author', 'Văn thư ' + scope);
    xa('--db', pcdb(scope), 'sync');
  }
  // the same period a year before, for the rollup's comparison
  xa('--db', pcdb('hoang-xuan'), 'report', 'import', SEED, '--id', 'report-2023-h1', '--form', FORM,
    '--period', '2023-h1', '--author', 'Văn thư hoang-xuan');
  xa('--db', pcdb('hoang-xuan'), 'report', 'submit', 'report-2023-h1', '--author', 'Văn thư hoang-xuan');
  xa('--db', pcdb('hoang-xuan'), 'sync');
  xd('return', 'hoang-son', 'report-2024-h1', '--reason', 'Thiếu chữ ký');
  // Another site, for the cross-site post.
  evil = createServer((req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<form id="f" method="post" action="${base}/desk/decide">
      <input name="decision" value="accepted"><input name="scope" value="hoang-xuan">
      <input name="id" value="report-2024-h1"><input name="csrf" value="guess"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  await new Promise((r) => evil.listen(0, '127.0.0.2', r));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.on('dialog', (d) => d.accept());
});

after(async () => {
  if (browser) await browser.close();
  if (evil) evil.close();
  for (const p of procs.reverse()) await stop(p);
  rmSync(dir, { recursive: true, force: true });
  // the server stops cleanly on SIGTERM (under the sanitizers: no error, no leak)
  assert.equal(server.exitCode, 0, `xasync-district serve exited ${server.exitCode} ${server.signalCode}`);
});

test('the page asks for a login, in Vietnamese; a wrong password is refused', async () => {
  const r = await page.goto(base + '/');
  assert.equal(new URL(page.url()).pathname, '/desk/login');
  assert.equal(r.status(), 200);
  assert.equal(await page.getAttribute('html', 'lang'), 'vi');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'desk-login.png') });
  await login('lan', 'sai-mat-khau');
  assert.match(await page.locator('#error').innerText(), /Sai tên người dùng hoặc mật khẩu/);
  assert.equal(new URL(page.url()).pathname, '/desk/login');
});

test('after repeated wrong passwords a user is rate-limited, even with the right one', async () => {
  for (let i = 0; i < 5; i++) {
    await login('minh', 'sai-' + i);
    assert.match(await page.locator('#error').innerText(), /Sai tên/);
  }
  const resp = page.waitForResponse((r) => r.url().endsWith('/desk/login') && r.request().method() === 'POST');
  await login('minh', PW);
  assert.equal((await resp).status(), 429);
  assert.match(await page.locator('#error').innerText(), /Quá nhiều lần đăng nhập sai/);
});

test('completeness: five communes in five states, the rate and its chart', async () => {
  await login('lan', PW);
  assert.equal(new URL(page.url()).pathname, '/desk/');
  const status = async (scope) => page.getAttribute(`tr[data-scope="${scope}"]`, 'data-status');
  assert.equal(await status('hoang-kim'), 'sent');
  assert.equal(await status('hoang-ha'), 'draft');
  assert.equal(await status('hoang-phu'), 'none');
  assert.equal(await status('hoang-xuan'), 'sent');
  assert.equal(await status('hoang-son'), 'returned');
  assert.equal((await page.locator('#rate').innerText()).trim(), '2 / 5');
  assert.equal(await page.locator('#chart rect').count(), 2); /* 2023-h1 and 2024-h1 */
  assert.equal(await page.locator('#chart rect.now').count(), 1);
  assert.match(await page.locator('tr[data-scope="hoang-kim"]').innerText(), /lỗi/);
  // a filter, then English
  await page.selectOption('select[name="status"]', 'none');
  await page.waitForURL(/status=none/);
  assert.equal(await page.locator('#completeness tr[data-scope]').count(), 1);
  await page.click('#lang');
  await page.goto(base + '/desk/');
  assert.match(await page.locator('h1').innerText(), /Completeness/);
  await page.click('#lang');
  // the deadline set in the past: the two sent reports are late
  await page.goto(base + '/desk/');
  await page.fill('#deadline-form input[name="due"]', '2024-07-10');
  await Promise.all([page.waitForURL(/period=2024-h1/), page.click('#deadline-form button')]);
  assert.equal(await status('hoang-xuan'), 'late');
  assert.equal((await page.locator('#due').innerText()).trim(), '10/07/2024');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'desk-completeness.png'), fullPage: true });
});

test('a report returned with a reason reaches the clerk; the resend is accepted', async () => {
  await page.goto(base + '/desk/');
  await Promise.all([page.waitForURL(/\/desk\/report/), page.click('tr[data-scope="hoang-kim"] a')]);
  assert.match(await page.locator('#findings').innerText(), /\S/);
  assert.ok(await page.locator('#history tr').count() > 1);
  assert.match(await page.locator('#history').textContent(), /Văn thư hoang-kim/);
  await page.frameLocator('iframe.print').locator('table').first().waitFor();
  // the findings marked in the print view: as many outlined as the check says
  const frame = page.frame({ url: /\/desk\/print/ });
  const marked = await frame.evaluate(() => [...document.querySelectorAll('[data-block], [data-block] > td')]
    .filter((e) => getComputedStyle(e).outlineStyle === 'solid').length);
  assert.ok(marked > 0 && marked <= await page.locator('#findings li').count(), `marked ${marked}`);
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'desk-report.png') });
  const reason = 'Mục 4: ước thực hiện <b>chưa khớp</b> với biểu';
  await page.fill('#reason-text', reason);
  await Promise.all([page.waitForURL(/done=returned/), page.click('#return')]);
  await page.locator('#done').waitFor();
  assert.equal((await page.locator('#reason').innerText()).trim(), reason);
  // the clerk's PC, synced through the real server
  xa('--db', pcdb('hoang-kim'), 'sync');
  const one = JSON.parse(xa('--db', pcdb('hoang-kim'), 'report', 'state', '--json'));
  assert.equal(one.state, 'returned');
  assert.equal(one.reason, reason);
  // corrected and sent again
  xa('--db', pcdb('hoang-kim'), 'report', 'edit', 'ind/4/est', '640', '--author', 'Lê Thị Lan');
  xa('--db', pcdb('hoang-kim'), 'report', 'submit', '--author', 'Lê Thị Lan');
  xa('--db', pcdb('hoang-kim'), 'sync');
  await page.goto(base + '/desk/report?scope=hoang-kim&id=report-2024-h1');
  assert.equal(await page.getAttribute('#state', 'class'), 'badge s-sent');
  await Promise.all([page.waitForURL(/done=accepted/), page.click('#accept')]);
  await page.locator('#done').waitFor();
  assert.equal(await page.getAttribute('#state', 'class'), 'badge s-accepted');
  xa('--db', pcdb('hoang-kim'), 'sync');
  assert.equal(JSON.parse(xa('--db', pcdb('hoang-kim'), 'report', 'state', '--json')).state, 'accepted');
  // the report as a Word file from its page, opened by python3-docx: every
  // figure of this commune's rows as the rollup counts them, 640 in row 4
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-docx')]);
  assert.equal(dl.suggestedFilename(), 'bao-cao-hoang-kim-report-2024-h1.docx');
  const file = join(dir, 'hoang-kim.docx');
  await dl.saveAs(file);
  const json = join(dir, 'rollup-kim.json');
  writeFileSync(json, xd('rollup', '--form', FORM, '--period', PERIOD, '--format', 'json'));
  const checked = py(`
import json, sys, docx
d = docx.Document(sys.argv[1])
doc = json.load(open(sys.argv[2]))
text = chr(10).join(p.text for p in d.paragraphs)
assert 'BÁO CÁO' in text.upper(), text[:300]
rows = [[c.text.strip() for c in r.cells] for t in d.tables for r in t.rows]
checked = 0
for ind in doc['indicators']:
    mine = ind['communes'].get('hoang-kim')
    if not mine:
        continue
    row = [r for r in rows if len(r) >= 6 and r[0] == ind['tt'] and r[1] == ind['name']]
    assert len(row) == 1, (ind['code'], row)
    for k, col in ((3, 'prev'), (4, 'plan'), (5, 'est')):
        if col in mine:
            assert row[0][k] == mine[col]['text'], (ind['code'], col, row[0][k], mine[col])
            checked += 1
row4 = [r for r in rows if r[0] == '4']
assert row4 and row4[0][5] == '640', row4
print(checked)`, file, json);
  assert.ok(Number(checked) > 20, `figures compared: ${checked}`);
  const bad = await page.request.get(base + '/desk/report.docx?scope=hoang-kim&id=report-1999-h1');
  assert.equal(bad.status(), 404);
});

test('the rollup page with its chart; the .xlsx read by openpyxl matches the rollup JSON', async () => {
  await page.goto(base + `/desk/rollup?form=${FORM}&period=${PERIOD}`);
  assert.ok(await page.locator('#rollup tr[data-code]').count() > 10);
  assert.ok(await page.locator('details svg.bars').count() > 0);
  // the same period of the year before, from hoang-xuan's 2023 report
  assert.match(await page.locator('#rollup tr').first().innerText(), /2023-h1/);
  const lastYear = await page.locator('#rollup td.last-year').allInnerTexts();
  assert.ok(lastYear.some((t) => /\d/.test(t)), lastYear.join('|'));
  // a line over the periods held per indicator: each point the district's
  // estimate of that period, as `rollup --format json` gives it
  const periods = ['2023-h1', PERIOD];
  const byPeriod = Object.fromEntries(periods.map((p) => [p,
    JSON.parse(xd('rollup', '--form', FORM, '--period', p, '--format', 'json'))]));
  const lines = await page.locator('svg.line').evaluateAll((svgs) => svgs.map((s) => ({
    code: s.dataset.code,
    points: s.querySelector('polyline').getAttribute('points').trim(),
    pts: [...s.querySelectorAll('circle.pt')].map((c) => ({
      period: c.dataset.period, value: c.dataset.value, cx: +c.getAttribute('cx'), cy: +c.getAttribute('cy'),
    })),
  })));
  let expectLines = 0;
  for (const ind of byPeriod[PERIOD].indicators) {
    const want = periods.map((p) => {
      const i = byPeriod[p].indicators.find((x) => x.code === ind.code);
      return i && i.district.est ? { period: p, value: i.district.est.value } : null;
    }).filter(Boolean);
    const line = lines.find((l) => l.code === ind.code);
    if (want.length < 2) {
      assert.equal(line, undefined, ind.code);
      continue;
    }
    expectLines++;
    assert.deepEqual(line.pts.map(({ period, value }) => ({ period, value })), want, ind.code);
    // drawn where the figures say: the polyline through the points, left to
    // right in period order, the larger figure higher
    assert.equal(line.points, line.pts.map((q) => `${q.cx},${q.cy.toFixed(1)}`).join(' '));
    assert.ok(line.pts[0].cx < line.pts[1].cx);
    const [p0, p1] = line.pts;
    assert.equal(Math.sign(p1.cy - p0.cy) + Math.sign(Number(p1.value) - Number(p0.value)), 0, ind.code);
  }
  assert.ok(expectLines >= 3, `lines ${expectLines}`);
  assert.equal(lines.length, expectLines);
  await page.locator('details:has(svg.line)').first().evaluate((d) => (d.open = true));
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'desk-rollup.png'), fullPage: true });
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-xlsx')]);
  const xlsx = join(dir, 'rollup.xlsx');
  await dl.saveAs(xlsx);
  const json = join(dir, 'rollup.json');
  writeFileSync(json, xd('rollup', '--form', FORM, '--period', PERIOD, '--format', 'json'));
  const out = py(`
import json, sys, openpyxl
from decimal import Decimal
doc = json.load(open(sys.argv[2]))
wb = openpyxl.load_workbook(sys.argv[1])
ws, wm = wb.worksheets
rows = list(ws.iter_rows(values_only=True))
head = rows[0]
assert head[:8] == ('code', 'tt', 'name', 'unit', 'aggregation', 'prev', 'plan', 'est'), head
assert len(rows) - 1 == len(doc['indicators'])
checked = 0
for ind, row in zip(doc['indicators'], rows[1:]):
    assert row[0] == ind['code'] and row[2] == ind['name'], (row, ind['code'])
    for k, col in enumerate(('prev', 'plan', 'est', 'vs_prev', 'vs_plan', 'remain')):
        f = ind['district'].get(col)
        cell = row[5 + k]
        if f is None:
            assert cell is None, (ind['code'], col, cell)
        else:
            assert Decimal(str(cell)) == Decimal(f['value']), (ind['code'], col, cell, f['value'])
            checked += 1
    assert row[11] == ind['n'] and row[12] == ind['N']
names = [c['name'] for c in doc['communes']]
mrows = list(wm.iter_rows(values_only=True))
assert list(mrows[0][3:3 + len(names)]) == names
for ind, row in zip(doc['indicators'], mrows[1:]):
    for j, c in enumerate(doc['communes']):
        v = ind['communes'].get(c['scope'], {}).get('est')
        cell = row[3 + j]
        if v is None:
            assert cell is None
        else:
            assert Decimal(str(cell)) == Decimal(v['value']), (ind['code'], c['scope'], cell, v)
            checked += 1
print(checked)`, xlsx, json);
  assert.ok(Number(out) > 20, `figures compared: ${out}`);
  // .csv and .docx answer too
  const csv = await page.request.get(base + `/desk/rollup.csv?form=${FORM}&period=${PERIOD}`);
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /^"code","tt","name"/);
  const docx = await page.request.get(base + `/desk/rollup.docx?form=${FORM}&period=${PERIOD}`);
  assert.equal(docx.status(), 200);
  assert.equal((await docx.body()).subarray(0, 2).toString(), 'PK');
});

test('a cross-site post and a post without the CSRF token change nothing', async () => {
  const before = digest();
  // from another site: the browser sends no SameSite=Strict cookie, the desk refuses
  const other = await browser.newPage();
  const done = other.waitForResponse((r) => r.url().endsWith('/desk/decide'));
  await other.goto(`http://127.0.0.2:${evil.address().port}/`);
  assert.equal((await done).status(), 403);
  await other.close();
  // from the page itself, without the token, with a wrong one, and with the right
  // token but another site's Origin
  for (const extra of [{}, { csrf: 'x'.repeat(43) }]) {
    const r = await page.request.post(base + '/desk/decide', {
      form: { decision: 'returned', scope: 'hoang-xuan', id: 'report-2024-h1', reason: 'giả', ...extra },
    });
    assert.equal(r.status(), 403);
    assert.match(await r.text(), /CSRF/);
  }
  await page.goto(base + '/desk/');
  const csrf = await page.getAttribute('input[name="csrf"]', 'value');
  const r = await page.request.post(base + '/desk/decide', {
    headers: { Origin: 'http://evil.example' },
    form: { decision: 'returned', scope: 'hoang-xuan', id: 'report-2024-h1', reason: 'giả', csrf },
  });
  assert.equal(r.status(), 403);
  assert.equal(digest(), before);
  assert.equal(await page.getAttribute('tr[data-scope="hoang-xuan"]', 'data-status'), 'late');
});

test('bad form input: refused or kept as text, nothing stored changes, nothing unescaped', async () => {
  await page.goto(base + '/desk/report?scope=hoang-xuan&id=report-2024-h1');
  const csrf = await page.getAttribute('input[name="csrf"]', 'value');
  const before = digest();
  const post = (path, body) => page.request.post(base + path, {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: body,
  });
  const enc = (o) => Buffer.from(Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
  const inj = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const decide = (reason) => enc({ csrf, decision: 'returned', scope: 'hoang-xuan', id: 'report-2024-h1', reason });
  const cases = [
    ['/desk/decide', decide(''), 400, /1 to 500 bytes|1 đến 500 byte/],
    ['/desk/decide', decide('x'.repeat(501)), 400, /500/],
    ['/desk/decide', Buffer.concat([decide(''), Buffer.from('%FF%FE')]), 400, /./],
    ['/desk/decide', decide('dòng\u0001lạ'), 400, /500/],
    ['/desk/decide', enc({ csrf, decision: inj, scope: 'hoang-xuan', id: 'report-2024-h1' }), 400, /./],
    ['/desk/decide', enc({ csrf, decision: 'accepted', scope: inj, id: 'report-2024-h1' }), 400, /./],
    ['/desk/decide', enc({ csrf, decision: 'accepted', scope: 'hoang-xuan', id: inj }), 404, /No such report|Không có báo cáo này/],
    ['/desk/decide', enc({ csrf, decision: 'accepted', scope: '', id: '' }), 400, /./],
    ['/desk/deadline', enc({ csrf, form: FORM, period: PERIOD, due: '' }), 400, /YYYY-MM-DD/],
    ['/desk/deadline', enc({ csrf, form: FORM, period: PERIOD, due: inj }), 400, /YYYY-MM-DD/],
    ['/desk/deadline', enc({ csrf, form: FORM, period: inj, due: '2024-07-01' }), 400, /./],
    ['/desk/deadline', enc({ csrf, form: inj, period: PERIOD, due: '2024-07-01' }), 400, /./],
    ['/desk/deadline', enc({ csrf, form: FORM, period: 'x'.repeat(5000), due: '2024-07-01' }), 400, /./],
    ['/desk/deadline', Buffer.concat([enc({ csrf, form: FORM, period: PERIOD }), Buffer.from('&due=2024-07-0%C3')]), 400, /./],
  ];
  for (const [path, body, status, msg] of cases) {
    const r = await post(path, body);
    const text = await r.text();
    assert.equal(r.status(), status, `${path} ${body}: ${text.slice(0, 300)}`);
    assert.match(text, msg);
    assert.ok(!text.includes('<script>alert') && !text.includes('<img src=x'), text);
  }
  // an oversized body
  const big = await post('/desk/decide', Buffer.concat([decide('x'), Buffer.from('&pad=' + 'y'.repeat(70000))]));
  assert.equal(big.status(), 413);
  assert.equal(digest(), before);
  // the login form: empty, oversized, not UTF-8, HTML: refused before any password check
  await page.goto(base + '/desk/login');
  const lt = await page.getAttribute('input[name="csrf"]', 'value');
  for (const body of [enc({ csrf: lt, name: '', password: PW }), enc({ csrf: lt, name: 'lan', password: '' }),
    enc({ csrf: lt, name: 'l'.repeat(65), password: PW }), enc({ csrf: lt, name: inj, password: PW }),
    Buffer.from(`csrf=${lt}&name=lan%FF&password=x`)]) {
    const r = await post('/desk/login', body);
    const text = await r.text();
    assert.equal(r.status(), 400, text.slice(0, 300));
    assert.ok(!text.includes('<script>alert'), text);
  }
  // HTML in a reason is text: kept as the officer wrote it, shown escaped
  const r = await post('/desk/decide', decide(inj));
  assert.equal(r.status(), 200); /* the report page, after the redirect */
  const text = await r.text();
  assert.ok(!text.includes('<script>alert') && text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  await page.goto(base + '/desk/report?scope=hoang-xuan&id=report-2024-h1');
  assert.equal((await page.locator('#reason').innerText()).trim(), inj);
});

test('an officer reads and decides, but only an admin sets a deadline', async () => {
  await login('hoa', PW);
  assert.equal(new URL(page.url()).pathname, '/desk/');
  assert.match(await page.locator('.who').innerText(), /hoa \(cán bộ\)/);
  assert.equal(await page.locator('#deadline-form').count(), 0);
  const csrf = await page.getAttribute('input[name="csrf"]', 'value');
  const before = digest();
  const r = await page.request.post(base + '/desk/deadline', {
    form: { csrf, form: FORM, period: PERIOD, due: '2030-01-01' },
  });
  assert.equal(r.status(), 403);
  assert.match(await r.text(), /Chỉ người quản trị đặt hạn nộp/);
  assert.equal(digest(), before);
  // logging out ends the session: the cookie no longer opens the page
  await Promise.all([page.waitForURL(/\/desk\/login/), page.click('#logout')]);
  await page.goto(base + '/desk/');
  assert.equal(new URL(page.url()).pathname, '/desk/login');
  await login('lan', PW);
});

test('a field in conflict: an officer cannot write it; an admin writes a value that the PCs take', async () => {
  // two PCs of hoang-son change the same figure while apart
  const scope = 'hoang-son';
  const a = pcdb(scope), b = join(dir, `${scope}-2.db`);
  xa('--db', b, 'init', '--scope', scope);
  xa('--db', b, 'remote', 'set', base, '--token-file', tokens[scope]);
  xa('--db', b, 'sync');
  xa('--db', a, 'report', 'edit', 'ind/4/est', '650', '--author', 'Văn thư máy 1');
  xa('--db', a, 'sync');
  xa('--db', b, 'report', 'edit', 'ind/4/est', '660', '--author', 'Văn thư máy 2');
  xa('--db', b, 'sync');
  xa('--db', a, 'sync');
  const [conf] = JSON.parse(xa('--db', a, 'conflicts', '--json'));
  assert.equal(conf.field, 'est');
  assert.deepEqual(conf.values.map((v) => v.value).sort(), ['650', '660']);
  const row = `#conflicts tr[data-scope="${scope}"][data-field="${conf.entity} est"]`;

  // an officer sees the conflict and the note, no form; a post is refused
  await login('hoa', PW);
  await page.goto(base + '/desk/conflicts');
  assert.match(await page.locator(row).innerText(), /650[\s\S]*Văn thư máy 1|660[\s\S]*Văn thư máy 2/);
  // the field in words: the row's number and name, the column
  assert.match(await page.locator(`${row} .label`).innerText(), /^Chỉ tiêu 4\. Tổng sản lượng lương thực có hạt — Ước thực hiện$/);
  assert.match(await page.locator('#settle-note').innerText(), /của xã; chỉ người quản trị/);
  assert.equal(await page.locator('form.resolve').count(), 0);
  await page.goto(base + `/desk/report?scope=${scope}&id=report-2024-h1`);
  assert.equal(await page.locator('#conflicts li').count(), 1);
  assert.match(await page.locator('#conflicts li .label').innerText(), /Chỉ tiêu 4\./);
  assert.equal(await page.locator('form.resolve').count(), 0);
  let csrf = await page.getAttribute('input[name="csrf"]', 'value');
  const enc = (o) => Buffer.from(Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'));
  const post = (body) => page.request.post(base + '/desk/resolve', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, data: body, maxRedirects: 0,
  });
  const before = digest();
  const seenOf = (c) => c.values.map((v) => `${v.node}:${v.seq}`);
  const base2 = { scope, entity: conf.entity, field: 'est', seen: seenOf(conf).join(',') };
  let r = await post(enc({ csrf, ...base2, value: '655' }));
  assert.equal(r.status(), 403);
  assert.match(await r.text(), /Chỉ người quản trị của huyện mới viết giá trị/);
  assert.equal(digest(), before);

  // an admin: the form on the conflicts page and on the report's page
  await Promise.all([page.waitForURL(/\/desk\/login/), page.click('#logout')]);
  await login('lan', PW);
  await page.goto(base + `/desk/report?scope=${scope}&id=report-2024-h1`);
  assert.equal(await page.locator('#conflicts li form.resolve').count(), 1);
  assert.match(await page.locator('#settle-note').innerText(), /Người quản trị của huyện có thể viết/);
  await page.goto(base + '/desk/conflicts');
  assert.equal(await page.locator(`${row} form.resolve`).count(), 1);
  const seen = await page.getAttribute(`${row} input[name="seen"]`, 'value');
  assert.deepEqual(seen.split(',').sort(), seenOf(conf).sort());
  csrf = await page.getAttribute('input[name="csrf"]', 'value');
  if (SHOTS) await page.screenshot({ path: join(SHOTS, 'desk-conflicts.png'), fullPage: true });

  // bad values: refused with a message, nothing stored, nothing unescaped
  const inj = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const ok = { csrf, ...base2, seen };
  const cases = [
    [enc({ ...ok, value: '' }), 400, /1 to 4000 bytes|1 đến 4000 byte/],
    [enc({ ...ok, value: '6'.repeat(4001) }), 400, /4000/],
    [enc({ ...ok, value: 'sáu trăm' }), 400, /ind\/4\/est/],
    [enc({ ...ok, value: '1,460' }), 400, /1\.460/],
    [enc({ ...ok, value: '636.4' }), 400, /636,4/],
    [enc({ ...ok, value: inj }), 400, /ind\/4\/est/],
    [enc({ ...ok, value: '65\u00015' }), 400, /control characters|ký tự điều khiển/],
    [enc({ ...ok, value: '655\n' }), 400, /control characters|ký tự điều khiển/],
    [Buffer.concat([enc(ok), Buffer.from('&value=65%FF')]), 400, /UTF-8/],
    [enc({ ...ok, scope: inj, value: '655' }), 400, /Not a valid commune or field|Xã hoặc ô không hợp lệ/],
    [enc({ ...ok, scope: 'hoang-ha', value: '655' }), 409, /changed while you looked|đã thay đổi trong lúc bạn xem/],
    [enc({ ...ok, entity: inj, value: '655' }), 400, /Xã hoặc ô không hợp lệ/],
    [enc({ ...ok, field: 'plan', value: '655' }), 409, /đã thay đổi trong lúc bạn xem/],
    [enc({ ...ok, seen: seen.split(',')[0], value: '655' }), 409, /đã thay đổi trong lúc bạn xem/],
    [enc({ ...ok, csrf: 'x'.repeat(43), value: '655' }), 403, /CSRF/],
  ];
  for (const [body, status, msg] of cases) {
    r = await post(body);
    const text = await r.text();
    assert.equal(r.status(), status, `${body}: ${text.slice(0, 400)}`);
    assert.match(text, msg);
    assert.ok(!text.includes('<script>alert') && !text.includes('<img src=x'), text);
  }
  assert.equal(digest(), before);

  // the admin types a value on the page (1460: stored in its normal form)
  await page.fill(`${row} input[name="value"]`, '1460');
  const t0 = performance.now();
  await Promise.all([page.waitForURL(/done=resolved/), page.click(`${row} form.resolve button`)]);
  const ms = performance.now() - t0;
  console.log(`timings: ${JSON.stringify({ admin_write_and_page_ms: Math.round(ms * 10) / 10 })}`);
  assert.match(await page.locator('#done').innerText(), /Đã ghi giá trị/);
  assert.equal(await page.locator(row).count(), 0);
  const state = JSON.parse(xd('show', scope, '--json'));
  assert.equal(JSON.stringify(state).includes('"conflict":true'), false);
  // the commune's PCs take it as any edit: the value (in its normal form), the
  // admin's name as author, no conflict left
  for (const db of [a, b]) {
    xa('--db', db, 'sync');
    const got = JSON.parse(xa('--db', db, 'get', conf.entity, 'est', '--json'));
    const vals = got.values || [got];
    assert.equal(vals.length, 1, JSON.stringify(got));
    assert.equal(vals[0].value, '1.460');
    assert.equal(vals[0].author, 'Huyện: lan');
    assert.deepEqual(JSON.parse(xa('--db', db, 'conflicts', '--json')), []);
  }
  const log = JSON.parse(xa('--db', a, 'log', conf.entity, 'est', '--json'));
  assert.equal(log.at(-1).author, 'Huyện: lan');
});

test("a commune's sync token never opens the page; an expired session goes back to login", async () => {
  const tok = execFileSync('cat', [tokens['hoang-xuan']], { encoding: 'utf8' }).trim();
  for (const headers of [{ Authorization: `Bearer ${tok}` }, { Cookie: `xa_desk=${tok}` }]) {
    const r = await fetch(base + '/desk/', { headers, redirect: 'manual' });
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location'), /^\/desk\/login/);
  }
  const r = await fetch(base + '/desk/rollup.xlsx', { headers: { Authorization: `Bearer ${tok}` }, redirect: 'manual' });
  assert.equal(r.status, 303);
  // the session's expiry passes (in the database: no test waits eight hours)
  py(`
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute('UPDATE desk_session SET expires = 1')
db.commit()`, ddb);
  await page.goto(base + '/desk/');
  assert.equal(new URL(page.url()).pathname, '/desk/login');
  assert.match(await page.locator('#error').innerText(), /hết hạn/);
});
