// End-to-end: configuration reloads (POST /admin/reload, SIGHUP) and the
// graceful drain on SIGTERM, against real switchyard and switchyard-mock
// processes on loopback, driven by the official openai SDK.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';

const GATEWAY = process.env.SWITCHYARD_BIN;
const MOCK = process.env.SWITCHYARD_MOCK_BIN;
const ADMIN = 'sy-admin-reload-test-0123456789';
const KEY_A = 'sy-reload-key-a-0123456789';
const KEY_B = 'sy-reload-key-b-0123456789';
const KEY_C = 'sy-reload-key-c-0123456789';
const procs = [];
after(() => { for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL'); });

// Starts a process; resolves with the process, the first match of `re` in its output, and a handle on all of its output.
function start(bin, args, re) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    const log = { text: '' };
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${log.text}`)), 15000);
    let started = false;
    const onData = (d) => {
      log.text += d.toString();
      const m = !started && log.text.match(re);
      if (m) { started = true; clearTimeout(timer); resolve({ p, m, log }); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { if (!started) { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${log.text}`)); } });
  });
}

// Resolves once the process's output (written by its log thread) matches `re`; fails after 5 s.
function logged(g, re) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!re.test(g.log.text)) return false;
      clearTimeout(timer);
      g.p.stderr.off('data', check);
      resolve();
      return true;
    };
    const timer = setTimeout(() => { g.p.stderr.off('data', check); reject(new Error(`not logged: ${re}\n${g.log.text}`)); }, 5000);
    if (!check()) g.p.stderr.on('data', check);
  });
}

const exited = (p) => new Promise((resolve) => (p.exitCode !== null ? resolve(p.exitCode) : p.on('exit', (code) => resolve(code))));

let mockPort;
async function mock() {
  if (!mockPort) {
    const { m } = await start(MOCK, ['--listen', '127.0.0.1:0', '--tokens', '6'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    mockPort = m[1];
  }
  return mockPort;
}

// A gateway config: `keys` is [[name, key, limits-or-null]], `routes` names routing to the mock.
// `workers`: [server] workers (unset: one per core, the daemon's default).
function config({ keys, routes = ['fast'], extra = '', grace = 10000, port = 0, workers }) {
  let text = `
[server]
listen = "127.0.0.1:${port}"${workers ? `\nworkers = ${workers}` : ''}
admin_key = "${ADMIN}"
shutdown_grace_ms = ${grace}
[[providers]]
name = "mock"
type = "openai"
base_url = "http://127.0.0.1:${mockPort}/v1"
api_key = "provider-secret-reload"
[[providers]]
name = "spare"
type = "openai"
base_url = "http://127.0.0.1:${mockPort}/v1"
api_key = "provider-secret-spare"
${extra}
`;
  for (const r of routes) text += `[[models]]\nname = "${r}"\ntargets = [ { provider = "mock", model = "mock-${r}" } ]\n`;
  for (const [name, key, limits] of keys) {
    text += `[[keys]]\nname = "${name}"\nkey = "${key}"\n${limits ? `limits = ${limits}\n` : ''}`;
  }
  return text;
}

async function gateway(text) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
  const file = join(dir, 'gateway.toml');
  writeFileSync(file, text);
  const { p, m, log } = await start(GATEWAY, ['--config', file], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const base = `http://127.0.0.1:${m[1]}`;
  return { p, log, file, base, port: Number(m[1]), client: (key) => new OpenAI({ apiKey: key, baseURL: `${base}/v1`, maxRetries: 0, timeout: 15000 }) };
}

const messages = [{ role: 'user', content: 'Say hello' }];

async function reload(g) {
  const r = await fetch(`${g.base}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
  return { status: r.status, body: await r.json() };
}

async function metric(g, name, labels) {
  const text = await (await fetch(`${g.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : undefined;
}

// The status a request with `key` gets (200, or the SDK error's status).
async function statusOf(g, key, model = 'fast') {
  try {
    await g.client(key).chat.completions.create({ model, messages });
    return 200;
  } catch (e) {
    return e.status ?? e.message;
  }
}

test('POST /admin/reload: new key at once, removed key 401, changed limit applies, routes change, pools kept', async () => {
  await mock();
  // One worker: "the unchanged provider kept its pool" is then one pool's count (each worker has its own;
  // a request landing first on another worker after the reload would open that worker's first connection).
  const g = await gateway(config({ keys: [['a', KEY_A, '{ requests_per_minute = 100 }'], ['b', KEY_B, null]], workers: 1 }));
  try {
    for (let i = 0; i < 4; i++) assert.equal(await statusOf(g, KEY_A), 200);
    assert.equal(await statusOf(g, KEY_B), 200);
    assert.equal(await statusOf(g, KEY_C), 401);
    const opened = await metric(g, 'switchyard_pool_connections_opened_total', 'provider="mock"');
    assert.ok(opened >= 1);
    const hashBefore = (await (await fetch(`${g.base}/health`)).json()).config_hash;
    assert.match(hashBefore, /^[0-9a-f]{64}$/);

    // Without the admin key: refused, nothing reloaded.
    const anonymous = await fetch(`${g.base}/admin/reload`, { method: 'POST' });
    assert.equal(anonymous.status, 401);

    // a: limit lowered to 3 a minute (it already made 4); b removed; c added; a new route.
    writeFileSync(g.file, config({ keys: [['a', KEY_A, '{ requests_per_minute = 3 }'], ['c', KEY_C, null]], routes: ['fast', 'newer'] , workers: 1 }));
    const done = await reload(g);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'reloaded');
    assert.deepEqual(done.body.changes.sort(), ["key 'a' changed", "key 'b' removed", "key 'c' added", "route 'newer' added"]);
    assert.deepEqual(done.body.needs_restart, []);
    assert.notEqual(done.body.config_hash, hashBefore);
    assert.equal((await (await fetch(`${g.base}/health`)).json()).config_hash, done.body.config_hash);

    assert.equal(await statusOf(g, KEY_C), 200);
    assert.equal(await statusOf(g, KEY_C, 'newer'), 200);
    assert.equal(await statusOf(g, KEY_B), 401);
    assert.equal(await statusOf(g, KEY_A), 429, 'the new limit counts what the key used before the reload');
    // The unchanged provider kept its pool: no new connection for the requests after the reload.
    assert.equal(await metric(g, 'switchyard_pool_connections_opened_total', 'provider="mock"'), opened);
    assert.equal(await metric(g, 'switchyard_config_reloads_total', 'result="ok"'), 1);

    // A file --check would refuse: the same message (file:line), and the running configuration keeps serving.
    writeFileSync(g.file, config({ keys: [['c', KEY_C, '{ requests_per_minute = "ten" }']] , workers: 1 }));
    const refused = await reload(g);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'invalid_config');
    assert.match(refused.body.error.message, /gateway\.toml:\d+/);
    assert.match(refused.body.error.message, /running configuration is kept/);
    assert.equal(await statusOf(g, KEY_C, 'newer'), 200);
    assert.equal(await metric(g, 'switchyard_config_reloads_total', 'result="error"'), 1);
    await logged(g, /config reload refused: .*gateway\.toml:\d+/);

    // A [server] change is reported as needing a restart, the rest applies.
    writeFileSync(g.file, config({ keys: [['c', KEY_C, null]], grace: 5000 , workers: 1 }));
    const partly = await reload(g);
    assert.equal(partly.status, 200);
    assert.deepEqual(partly.body.needs_restart, ['[server]']);
    assert.deepEqual(partly.body.changes.sort(), ["key 'a' removed", "route 'newer' removed"]);
    assert.equal(await statusOf(g, KEY_A), 401);
    assert.equal(await statusOf(g, KEY_C, 'newer'), 404);

    // SIGHUP does the same.
    writeFileSync(g.file, config({ keys: [['c', KEY_C, null], ['a', KEY_A, null]], grace: 5000 , workers: 1 }));
    const hashNow = (await (await fetch(`${g.base}/health`)).json()).config_hash;
    g.p.kill('SIGHUP');
    for (let i = 0; i < 500 && (await (await fetch(`${g.base}/health`)).json()).config_hash === hashNow; i++) {
      await new Promise((r) => setTimeout(r, 10));  // polling /health: the reload has no other outside signal
    }
    assert.equal(await statusOf(g, KEY_A), 200);
    await logged(g, /config reloaded .*key 'a' added/);
  } finally {
    g.p.kill('SIGTERM');
    assert.equal(await exited(g.p), 0);
  }
});

// One streamed completion read to its end: its text and finish reason.
// `opened` (optional) is called when the stream's head and first chunk are in.
async function streamed(client, model, mock, opened = () => {}) {
  const stream = await client.chat.completions.create({ model, messages, stream: true, mock });
  opened();
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  return { text, finish };
}

test('reload under load: 240 requests and streams across 6 reloads, none fails', async () => {
  await mock();
  const g = await gateway(config({ keys: [['a', KEY_A, null]], routes: ['fast', 'other'] }));
  try {
    const client = g.client(KEY_A);
    const work = [];
    for (let i = 0; i < 240; i++) {
      const model = i % 2 ? 'fast' : 'other';
      work.push(i % 3 === 0 ? streamed(client, model, { tokens: 8, tokens_per_second: 40 })
                            : client.chat.completions.create({ model, messages }).then((r) => ({ text: r.choices[0].message.content, finish: r.choices[0].finish_reason })));
      if (i % 40 === 20) {
        // Alternate between two configs that both serve `fast` and `other` (one adds a key and routes `other` differently).
        const extraKey = (i / 40) % 2 < 1 ? [['c', KEY_C, null]] : [];
        writeFileSync(g.file, config({ keys: [['a', KEY_A, null], ...extraKey], routes: ['fast', 'other'], extra: `[routing]\nattempts_per_target = ${2 + (i % 80 === 20 ? 1 : 0)}` }));
        work.push(reload(g).then((r) => { assert.equal(r.status, 200, JSON.stringify(r.body)); return { reload: true }; }));
      }
    }
    const results = await Promise.allSettled(work);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed.map((f) => String(f.reason)), []);
    for (const r of results) {
      if (r.value.reload) continue;
      assert.ok(r.value.text.length > 0);
      assert.ok(r.value.finish === 'stop' || r.value.finish === 'length', JSON.stringify(r.value));
    }
    assert.equal(await metric(g, 'switchyard_config_reloads_total', 'result="ok"'), 6);
  } finally {
    g.p.kill('SIGTERM');
    assert.equal(await exited(g.p), 0);
  }
});

// Whether a new TCP connection to `port` is accepted.
function connects(port) {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

test('SIGTERM under load: accepted requests and streams all finish, new connections refused, exit 0', async () => {
  await mock();
  const g = await gateway(config({ keys: [['a', KEY_A, null]] }));
  const client = g.client(KEY_A);
  // Long streams (~1.2 s each) and a steady flow of short requests.
  const streams = [];
  let open = 0;
  for (let i = 0; i < 8; i++) streams.push(streamed(client, 'fast', { tokens: 12, tokens_per_second: 10 }, () => { open += 1; }));
  const flow = [];
  let flowing = true;
  const pump = (async () => {
    while (flowing) {
      flow.push(client.chat.completions.create({ model: 'fast', messages }).then(() => 'ok', (e) => e));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // Once the streams are running (their heads and first chunks reached the SDK), stop the gateway.
  // (Not the in-flight gauge: it counts upstream attempts, which end at a stream's first chunk.)
  for (let i = 0; i < 1000 && open < 8; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(open, 8);
  const code = exited(g.p);
  g.p.kill('SIGTERM');
  // The listener closes: new connections are refused while the streams finish.
  let refused = false;
  for (let i = 0; i < 200 && !refused; i++) {
    refused = !(await connects(g.port));
    if (!refused) await new Promise((r) => setTimeout(r, 5));
  }
  flowing = false;
  await pump;
  assert.ok(refused, 'a new connection was still accepted after SIGTERM');
  for (const s of await Promise.all(streams)) {
    assert.equal(s.finish, 'stop');
    assert.equal(s.text.split(' ').filter(Boolean).length, 12);
  }
  // Short requests: each either completed, or was never taken in (connection refused or closed before it was read).
  const outcomes = await Promise.all(flow);
  const served = outcomes.filter((o) => o === 'ok').length;
  assert.ok(served > 0);
  assert.equal(await code, 0);
  // Every request the gateway took in (its access log lines) was answered 200.
  const statuses = [...g.log.text.matchAll(/ (?:info|warn) request(?: rejected)? .*?status=(\d+)/g)].map((m) => m[1]);
  assert.ok(statuses.length >= served + 8, `${statuses.length} logged, ${served} served`);
  assert.deepEqual([...new Set(statuses)], ['200']);
  for (const o of outcomes) if (o !== 'ok') assert.equal(o.status, undefined, `an accepted request failed: ${o}`);
  assert.match(g.log.text, /switchyard stopped/);
});

test('SIGTERM with streams longer than the grace period: they end with an error event, exit 0', async () => {
  await mock();
  const g = await gateway(config({ keys: [['a', KEY_A, null]], grace: 300 }));
  const client = g.client(KEY_A);
  // A 4 s stream; the signal goes once its first chunk arrived (the stream is open and relayed:
  // an upstream attempt's in-flight gauge is back to 0 by then, so it cannot tell).
  const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true, mock: { tokens: 40, tokens_per_second: 10 } });
  const chunks = stream[Symbol.asyncIterator]();
  assert.equal((await chunks.next()).done, false);
  const code = exited(g.p);
  g.p.kill('SIGTERM');
  const outcome = await (async () => {
    try {
      for (;;) if ((await chunks.next()).done) return 'complete';
    } catch (e) {
      return e;
    }
  })();
  assert.ok(outcome instanceof Error, 'the cut stream must not look complete');
  assert.match(String(outcome.message ?? outcome), /shutting down .*grace period/);
  assert.equal(await code, 0);
});
