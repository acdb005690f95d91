// The status dashboard (/ui) in a real browser: Debian's chromium, headless,
// driven by puppeteer-core, against real switchyard and switchyard-mock
// processes. A wrong admin key gets a clear message; with the right one every
// target is listed; a key driven past 80% of its budget shows an amber bar;
// a target whose provider goes down shows its circuit open and the route's
// failovers counting within 3 s. Screenshots at 1280×800 (and at a phone's
// width) are saved under the build directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

const GATEWAY = process.env.SWITCHYARD_BIN;
const MOCK = process.env.SWITCHYARD_MOCK_BIN;
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SHOTS = process.env.SWITCHYARD_SCREENSHOT_DIR || process.cwd();
const ADMIN = 'sy-dashboard-admin-0123456789';
const LOAD_KEY = 'sy-dashboard-load-0123456789';
const TEAM_KEY = 'sy-dashboard-team-0123456789';
const procs = [];
let browser;
after(async () => {
  if (browser) await browser.close();
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
});

function start(bin, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 15000);
    const onData = (d) => {
      out += d.toString();
      const m = out.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) { clearTimeout(timer); resolve({ p, port: m[1] }); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${out}`)); });
  });
}

function config(primaryPort, flakyPort, adminKey) {
  // Prices: $1 / $2 per million tokens; the mock answers 4 prompt and 16 completion tokens: $0.000036 a request.
  return `
[server]
listen = "127.0.0.1:0"
${adminKey ? `admin_key = "${adminKey}"` : ''}
[routing]
attempts_per_target = 1
breaker_failures = 2
[[providers]]
name = "flaky"
type = "openai"
base_url = "http://127.0.0.1:${flakyPort}/v1"
api_key = "provider-secret-flaky"
connect_timeout_ms = 500
[[providers]]
name = "primary"
type = "openai"
base_url = "http://127.0.0.1:${primaryPort}/v1"
api_key = "provider-secret-primary"
[[models]]
name = "fast"
targets = [ { provider = "flaky", model = "mock-f", input_price = 1.0, output_price = 2.0 },
            { provider = "primary", model = "mock-p", input_price = 1.0, output_price = 2.0 } ]
[[keys]]
name = "load"
key = "${LOAD_KEY}"
[[keys]]
name = "team"
key = "${TEAM_KEY}"
budget = { usd = 0.000044, period = "day" }
limits = { requests_per_minute = 1000 }
[alerting]
evaluate_ms = 200
[[alerts]]
name = "flaky-down"
kind = "circuit_open"
threshold = 1
selector = { provider = "flaky" }
`;
}

async function gateway(text) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ui-'));
  writeFileSync(join(dir, 'gateway.toml'), text);
  const { p, port } = await start(GATEWAY, ['--config', join(dir, 'gateway.toml')]);
  return { p, base: `http://127.0.0.1:${port}` };
}

async function chat(base, key) {
  const r = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await r.text();
  return r.status;
}

test('without an admin key configured, /ui says how to set one', async () => {
  const { port } = await start(MOCK, ['--listen', '127.0.0.1:0']);
  const g = await gateway(config(port, port, ''));
  const page = await (await fetch(`${g.base}/ui`)).text();
  assert.match(page, /data-admin-key="missing"/);
  assert.match(page, /admin_key = "\$\{SWITCHYARD_ADMIN_KEY\}"/);
  const events = await fetch(`${g.base}/admin/events`, { headers: { authorization: 'Bearer anything' } });
  assert.notEqual(events.status, 200);
  g.p.kill('SIGTERM');
});

test('the dashboard in chromium: key check, targets, amber budget, an open circuit and failovers within 3 s', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no browser at ${CHROMIUM} (scripts/setup.sh --test installs Debian's chromium)`);
    return;
  }
  const primary = await start(MOCK, ['--listen', '127.0.0.1:0']);
  const flaky = await start(MOCK, ['--listen', '127.0.0.1:0']);
  const g = await gateway(config(primary.port, flaky.port, ADMIN));
  const ui = await fetch(`${g.base}/ui`);
  assert.equal(ui.status, 200);
  assert.match(ui.headers.get('content-security-policy'), /default-src 'none'/);
  const html = await ui.text();
  assert.doesNotMatch(html, new RegExp(ADMIN));  // nothing secret in the page

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  const failures = [];
  page.on('pageerror', (e) => failures.push(String(e)));
  await page.goto(`${g.base}/ui`, { waitUntil: 'load' });

  // A wrong key: a clear message, no data.
  await page.type('#admin-key', 'not-the-admin-key');
  await page.click('#login button');
  await page.waitForFunction(() => /refused this admin key/.test(document.getElementById('message').textContent), { timeout: 5000 });
  assert.equal(await page.$eval('#board', (e) => e.hidden), true);

  // The right key: every target listed.
  await page.$eval('#admin-key', (e) => { e.value = ''; });
  await page.type('#admin-key', ADMIN);
  await page.keyboard.press('Enter');  // keyboard only
  await page.waitForSelector('#targets tbody tr[data-target="flaky/mock-f"]', { timeout: 5000 });
  await page.waitForSelector('#targets tbody tr[data-target="primary/mock-p"]', { timeout: 5000 });
  assert.equal(await page.$eval('#message', (e) => e.textContent), '');

  // One answer of $0.000036 against a $0.000044 budget: 82%, amber (and labelled, not only coloured).
  assert.equal(await chat(g.base, TEAM_KEY), 200);
  await page.waitForSelector('.key[data-key="team"] .meter[data-meter="budget per day"] .bar[data-level="warn"]', { timeout: 5000 });
  assert.match(await page.$eval('.key[data-key="team"] .meter[data-meter="budget per day"]', (e) => e.textContent), /near limit/);

  // The flaky provider goes away: its circuit opens, the route fails over to primary.
  flaky.p.kill('SIGKILL');
  for (let i = 0; i < 4; i++) assert.equal(await chat(g.base, LOAD_KEY), 200);
  const since = Date.now();
  await page.waitForFunction(() => {
    const circuit = document.querySelector('#targets tr[data-target="flaky/mock-f"] .circuit');
    const failovers = document.querySelector('#routes tr[data-route="fast"] .failovers');
    return circuit && circuit.dataset.state === 'open' && /OPEN/.test(circuit.textContent) && failovers && Number(failovers.textContent) >= 2;
  }, { timeout: 3000, polling: 100 });
  assert.ok(Date.now() - since <= 3000);
  // The alert on that circuit fires and shows; the service-level table counts the route (read when
  // the page connects, then every 30 s: a reload reads it now).
  await page.waitForSelector('#alerts tr[data-alert="flaky-down"][data-state="firing"]', { timeout: 3000 });
  await page.reload();
  await page.waitForFunction(() => {
    const row = document.querySelector('#sla tr[data-sla="fast"]');
    return row && Number(row.children[1].textContent.replace(/[^0-9]/g, '')) >= 5;
  }, { timeout: 5000, polling: 200 });
  await page.waitForSelector('#targets tbody tr[data-target="flaky/mock-f"]', { timeout: 5000 });
  assert.match(await page.$eval('#targets tr[data-target="flaky/mock-f"] .reason', (e) => e.textContent), /upstream_connect|connect/);
  // The chart marks the change; the recent requests list the answers.
  await page.waitForSelector('figure[data-target="flaky/mock-f"] svg text', { timeout: 3000 });
  assert.ok(await page.$$eval('#recent tbody tr', (rows) => rows.length) >= 5);
  await page.screenshot({ path: join(SHOTS, 'dashboard-1280x800.png') });

  // A phone's width: nothing wider than the screen but the scrolling tables.
  await page.setViewport({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
  await page.screenshot({ path: join(SHOTS, 'dashboard-phone.png') });
  assert.deepEqual(failures, []);
  g.p.kill('SIGTERM');
});
