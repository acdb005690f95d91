// End-to-end: the official `openai` npm SDK talks to a real switchyard
// process, which talks to a real switchyard-mock process, all on loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';

const GATEWAY = process.env.SWITCHYARD_BIN;
const MOCK = process.env.SWITCHYARD_MOCK_BIN;
const KEY = 'sy-e2e-test-key-0123456789';
const LIMITED_KEY = 'sy-e2e-limited-key-0123456789';
let baseURL;
const procs = [];
let client;
let claude;
let genai;
let mockURL;

// Starts a process and resolves with the first stdout/stderr line matching `re`.
function start(bin, args, re, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${bin} did not start: ${out}`)), 15000);
    const onData = (d) => {
      out += d.toString();
      const m = out.match(re);
      if (m) { clearTimeout(timer); resolve(m); }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${bin} exited ${code}: ${out}`)); });
  });
}

before(async () => {
  assert.ok(GATEWAY && MOCK, 'SWITCHYARD_BIN and SWITCHYARD_MOCK_BIN must be set');
  const [, mockPort] = await start(MOCK, ['--listen', '127.0.0.1:0', '--tokens', '6'], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  mockURL = `http://127.0.0.1:${mockPort}`;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const conf = join(dir, 'gateway.toml');
  writeFileSync(conf, `
[server]
listen = "127.0.0.1:0"
[[providers]]
name = "mock"
type = "openai"
base_url = "http://127.0.0.1:${mockPort}/v1"
api_key = "provider-secret-e2e"
[[providers]]
name = "claude"
type = "anthropic"
base_url = "http://127.0.0.1:${mockPort}/v1"
api_key = "provider-secret-anthropic"
[[providers]]
name = "gemini"
type = "gemini"
base_url = "http://127.0.0.1:${mockPort}/v1beta"
api_key = "provider-secret-gemini"
[[models]]
name = "fast"
targets = [ { provider = "mock", model = "mock-fast" } ]
[[models]]
name = "claude-fast"
targets = [ { provider = "claude", model = "claude-mock" } ]
[[models]]
name = "gemini-fast"
targets = [ { provider = "gemini", model = "gemini-mock" } ]
[[providers]]
name = "mock-responses"
type = "openai"
base_url = "http://127.0.0.1:${mockPort}/v1"
api_key = "provider-secret-responses"
responses = true
[[models]]
name = "gpt-responses"
targets = [ { provider = "mock-responses", model = "gpt-5-mock" } ]
[[models]]
name = "embed"
targets = [ { provider = "mock", model = "text-embedding-3-small", input_price = 0.02 } ]
[[models]]
name = "embed-gemini"
targets = [ { provider = "claude", model = "claude-mock" }, { provider = "gemini", model = "gemini-embedding-001" } ]
[[models]]
name = "cached"
cache = true
targets = [ { provider = "mock", model = "mock-fast" } ]
[[models]]
name = "claude-cached"
cache = true
targets = [ { provider = "claude", model = "claude-mock" } ]
[cache]
enabled = true
[[keys]]
name = "e2e"
key = "${KEY}"
[[keys]]
name = "e2e-limited"
key = "${LIMITED_KEY}"
limits = { requests_per_minute = 60 }
`);
  const [, port] = await start(GATEWAY, ['--config', conf], /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  baseURL = `http://127.0.0.1:${port}/v1`;
  client = new OpenAI({ apiKey: KEY, baseURL, maxRetries: 0, timeout: 10000 });
  claude = new Anthropic({ apiKey: KEY, baseURL: `http://127.0.0.1:${port}`, maxRetries: 0, timeout: 10000 });
  // Google's GenAI SDK (what Gemini CLI is built on), pointed at the gateway as GOOGLE_GEMINI_BASE_URL would.
  genai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: `http://127.0.0.1:${port}` } });
});

after(() => { for (const p of procs) p.kill('SIGTERM'); });

const messages = [{ role: 'user', content: 'Say hello' }];
const expected = 'Hello from the Switchyard mock provider,';

test('non-streamed completion through the gateway', async () => {
  const r = await client.chat.completions.create({ model: 'fast', messages });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.model, 'mock-fast');
  assert.equal(r.choices[0].message.content, expected);
  assert.equal(r.choices[0].finish_reason, 'stop');
  assert.equal(r.usage.completion_tokens, 6);
});

test('streamed completion arrives chunk by chunk with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'fast', messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let usage = null;
  let finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, expected);
  assert.equal(finish, 'stop');
  assert.ok(chunks >= 8, `expected one chunk per token, got ${chunks}`);
  assert.equal(usage?.completion_tokens, 6);
});

test('a provider addressed as provider/model works', async () => {
  const r = await client.chat.completions.create({ model: 'mock/some-model', messages });
  assert.equal(r.model, 'some-model');
});

test('a wrong key is an AuthenticationError (401)', async () => {
  const bad = new OpenAI({ apiKey: 'sy-wrong-key-000000', baseURL: client.baseURL, maxRetries: 0 });
  await assert.rejects(bad.chat.completions.create({ model: 'fast', messages }), (e) => {
    assert.equal(e.status, 401);
    assert.ok(e instanceof OpenAI.AuthenticationError);
    return true;
  });
});

test('an unknown model is a NotFoundError (404)', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages }), (e) => {
    assert.equal(e.status, 404);
    assert.match(e.message, /no-such-model/);
    return true;
  });
});

test('an upstream 500 is a 502 naming the provider', async () => {
  await assert.rejects(client.chat.completions.create({ model: 'fast', messages, mock: { status: 500 } }), (e) => {
    assert.equal(e.status, 502);
    assert.match(e.message, /provider 'mock'/);
    assert.doesNotMatch(e.message, /provider-secret-e2e/);
    return true;
  });
});

test('a stream broken mid-way surfaces as an error in the SDK, never as a clean end', async () => {
  const stream = await client.chat.completions.create({ model: 'fast', messages, stream: true, mock: { fault: 'error-after:2' } });
  let text = '';
  await assert.rejects((async () => {
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  })(), (e) => {
    assert.match(String(e.message), /mid-stream|middle of the stream/);
    return true;
  });
  assert.equal(text, 'Hello from');
});

// What the provider itself answers (floats), asked directly.
async function providerVectors(kind, model, inputs, dims) {
  if (kind === 'openai') {
    const r = await fetch(`${mockURL}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, input: inputs, encoding_format: 'float', ...(dims ? { dimensions: dims } : {}) }) });
    return (await r.json()).data.map((d) => d.embedding);
  }
  const r = await fetch(`${mockURL}/v1beta/models/${model}:batchEmbedContents`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requests: inputs.map((text) => ({ model: `models/${model}`, content: { parts: [{ text }] },
      ...(dims ? { outputDimensionality: dims } : {}) })) }) });
  return (await r.json()).embeddings.map((e) => e.values);
}

test('embeddings.create with the SDK default (base64) equals the provider vectors, OpenAI-type and Gemini', async () => {
  const inputs = ['hello world', 'a second, longer input text'];
  for (const [route, kind, model] of [['embed', 'openai', 'text-embedding-3-small'], ['embed-gemini', 'gemini', 'gemini-embedding-001']]) {
    const got = await client.embeddings.create({ model: route, input: inputs, dimensions: 12 });
    const want = await providerVectors(kind, model, inputs, 12);
    assert.equal(got.object, 'list');
    assert.equal(got.data.length, 2);
    for (let i = 0; i < inputs.length; i++) {
      assert.equal(got.data[i].index, i);
      assert.equal(got.data[i].embedding.length, 12);
      // base64 carries float32: the SDK's numbers are the provider's, rounded to float32.
      assert.deepEqual(got.data[i].embedding, want[i].map(Math.fround), `${route} vector ${i}`);
    }
    assert.ok(got.usage.prompt_tokens > 0);
    // Asked for floats, the provider's own numbers come back unchanged.
    const floats = await client.embeddings.create({ model: route, input: inputs[0], dimensions: 12, encoding_format: 'float' });
    assert.deepEqual(floats.data[0].embedding, want[0]);
  }
  // An input a Gemini target cannot take (token ids) is a BadRequestError, not a crash.
  await assert.rejects(client.embeddings.create({ model: 'embed-gemini', input: [[1, 2, 3]] }), (e) => e.status === 400);
});

test('models.list shows the configured routes', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['fast', 'claude-fast', 'gemini-fast', 'gpt-responses', 'embed', 'embed-gemini', 'cached', 'claude-cached']);
});

const weatherTool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

// Reads an OpenAI SDK stream into its text, tool call, finish reason and usage.
async function collect(stream) {
  const out = { text: '', args: '', name: '', finish: null, usage: null };
  for await (const chunk of stream) {
    if (chunk.usage) out.usage = chunk.usage;
    for (const c of chunk.choices) {
      out.text += c.delta.content ?? '';
      for (const t of c.delta.tool_calls ?? []) {
        if (t.function?.name) out.name = t.function.name;
        out.args += t.function?.arguments ?? '';
      }
      if (c.finish_reason) out.finish = c.finish_reason;
    }
  }
  return out;
}

for (const model of ['claude-fast', 'gemini-fast']) {
  test(`the ${model === 'claude-fast' ? 'Anthropic' : 'Gemini'}-backed model answers the OpenAI SDK, streamed with a tool call`, async () => {
    const got = await collect(await client.chat.completions.create({
      model, stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    }));
    assert.equal(got.text, expected);
    assert.equal(got.name, 'get_weather');
    assert.deepEqual(JSON.parse(got.args), { city: 'Paris' });
    assert.equal(got.finish, 'tool_calls');
    assert.equal(got.usage?.completion_tokens, 6);
    const r = await client.chat.completions.create({ model, messages });
    assert.equal(r.choices[0].message.content, expected);
    assert.equal(r.choices[0].finish_reason, 'stop');
    // The tool result goes back and the conversation continues.
    const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    const next = await client.chat.completions.create({
      model, tools: [weatherTool],
      messages: [...messages, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'call_1', content: '18C' }],
    });
    assert.equal(next.choices[0].message.tool_calls[0].function.name, 'get_weather');
  });
}

test('the official Anthropic SDK streams a tool call from a Gemini-backed model through /v1/messages', async () => {
  const stream = claude.messages.stream({
    model: 'gemini-fast', max_tokens: 100, messages: [{ role: 'user', content: 'Weather in Paris?' }],
    tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
  });
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'tool_use');
  const tool = final.content.find((b) => b.type === 'tool_use');
  assert.equal(tool?.name, 'get_weather');
  assert.deepEqual(tool?.input, { city: 'Paris' });
  assert.equal(final.content[0].text, expected);
  assert.equal(final.usage.output_tokens, 6);
});

test('the official Anthropic SDK calls /v1/messages for an OpenAI-backed model, streamed and not', async () => {
  const msg = await claude.messages.create({ model: 'fast', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'Say hello' }] });
  assert.equal(msg.type, 'message');
  assert.equal(msg.content[0].text, expected);
  assert.equal(msg.stop_reason, 'end_turn');
  assert.equal(msg.usage.output_tokens, 6);

  const stream = claude.messages.stream({ model: 'fast', max_tokens: 100, messages: [{ role: 'user', content: 'Say hello' }] });
  let text = '';
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(text, expected);
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(final.usage.output_tokens, 6);

  await assert.rejects(new Anthropic({ apiKey: 'sy-wrong-key-000000', baseURL: claude.baseURL, maxRetries: 0 })
    .messages.create({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e) => {
    assert.equal(e.status, 401);
    return true;
  });
});

const weatherFunction = { type: 'function', name: 'get_weather', description: 'Current weather', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } } } };

for (const [model, how] of [['gpt-responses', 'passed through to a provider that speaks Responses'], ['claude-fast', 'translated for an Anthropic target'], ['gemini-fast', 'translated for a Gemini target']]) {
  test(`responses.create, streamed and not, with a function tool round trip: ${how}`, async () => {
    const input = [{ role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] }];
    const r = await client.responses.create({ model, instructions: 'Be brief.', input, tools: [weatherFunction], store: false, max_output_tokens: 200 });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.match(r.id, /^resp_/);
    assert.equal(r.output_text, expected);  // computed by the SDK from the output items
    const call = r.output.find((i) => i.type === 'function_call');
    assert.ok(call, JSON.stringify(r.output));
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    assert.ok(r.usage.input_tokens > 0);
    assert.equal(r.usage.output_tokens, 6);
    const seen = await mockLast();
    if (model === 'gpt-responses') {
      assert.equal(seen.path, '/v1/responses');
      const sent = JSON.parse(seen.body);
      assert.equal(sent.model, 'gpt-5-mock');
      assert.deepEqual(sent.input, input);  // as the client sent it
    } else {
      assert.notEqual(seen.path, '/v1/responses');
    }

    // The tool's result goes back with the whole conversation (stateless, as Codex does), streamed.
    const next = client.responses.stream({
      model, instructions: 'Be brief.', tools: [weatherFunction], store: false,
      input: [...input, { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
              { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":18}' }],
    });
    const types = [];
    let text = '';
    for await (const ev of next) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    const final = await next.finalResponse();
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(types.includes('response.output_item.done'));
    assert.ok(types.includes('response.function_call_arguments.delta'));
    assert.equal(text, expected);
    assert.equal(final.status, 'completed');
    assert.equal(final.output.find((i) => i.type === 'message').content[0].text, expected);
    assert.equal(final.usage.output_tokens, 6);
    if (model !== 'gpt-responses') {
      // What went upstream carries the call and its result.
      const sent = JSON.stringify(JSON.parse((await mockLast()).body));
      assert.ok(sent.includes('"temp_c\\":18') || sent.includes('temp_c'), sent);
    }
  });
}

test('responses.create against a chat-only OpenAI-compatible target, string input', async () => {
  const r = await client.responses.create({ model: 'fast', input: 'Say hello', max_output_tokens: 50 });
  assert.equal(r.output_text, expected);
  assert.equal((await mockLast()).path, '/v1/chat/completions');
  const sent = JSON.parse((await mockLast()).body);
  assert.deepEqual(sent.messages, [{ role: 'user', content: 'Say hello' }]);
  assert.equal(sent.max_tokens, 50);
});

test('responses.create refuses previous_response_id with a clear 400', async () => {
  await assert.rejects(client.responses.create({ model: 'fast', input: 'hi', previous_response_id: 'resp_123' }), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /no conversation state/);
    return true;
  });
});

// What the mock (the provider) received last.
async function mockLast() { return (await fetch(`${mockURL}/_mock/last`)).json(); }

test('Claude Code\'s calls through /v1/messages to an Anthropic target: cache_control and thinking arrive as sent, answers untouched', async () => {
  const params = {
    model: 'claude-fast', max_tokens: 2048,
    system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
    tools: [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } },
              cache_control: { type: 'ephemeral' } }],
    thinking: { type: 'enabled', budget_tokens: 1024 },
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'hello', cache_control: { type: 'ephemeral' } }] },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'an earlier thought', signature: 'EqQBCkYIBRgCKkD+/sig==' }, { type: 'text', text: 'hi' }] },
      { role: 'user', content: 'go on' }],
    metadata: { user_id: 'user-1' },
  };
  const beta = 'interleaved-thinking-2025-05-14';
  const sent = (body) => { const b = JSON.parse(body); delete b.model; delete b.stream; return b; };
  const asked = { ...params }; delete asked.model;

  // Streamed, as Claude Code calls it.
  const stream = claude.messages.stream(params, { headers: { 'anthropic-beta': beta } });
  const final = await stream.finalMessage();
  let seen = await mockLast();
  assert.equal(seen.path, '/v1/messages');
  assert.equal(JSON.parse(seen.body).model, 'claude-mock');
  assert.deepEqual(sent(seen.body), asked);  // cache_control, thinking, the earlier signature: as sent
  assert.equal(seen.anthropic_beta, beta);
  assert.equal(final.content[0].type, 'thinking');
  assert.match(final.content[0].signature, /^sig-mock-/);
  assert.equal(final.content[1].type, 'text');
  assert.equal(final.content[2].type, 'tool_use');
  assert.equal(final.usage.cache_creation_input_tokens, 1000);

  // Not streamed: the second call reads the cache.
  const msg = await claude.messages.create(params, { headers: { 'anthropic-beta': beta } });
  seen = await mockLast();
  assert.deepEqual(sent(seen.body), asked);
  assert.equal(msg.content[0].type, 'thinking');
  assert.equal(msg.usage.cache_read_input_tokens, 1000);

  // count_tokens: passed to the Anthropic target; estimated for others.
  const counted = await claude.messages.countTokens({ model: 'claude-fast', system: params.system, messages: params.messages, tools: params.tools });
  assert.ok(counted.input_tokens > 0);
  assert.equal((await mockLast()).path, '/v1/messages/count_tokens');
  const estimated = await claude.messages.countTokens({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(400) }] });
  assert.ok(estimated.input_tokens >= 100 && estimated.input_tokens < 130, `${estimated.input_tokens}`);
});

test('the openai SDK streams a cached answer identical to the first one, and gets it whole too', async () => {
  const ask = (stream) => client.chat.completions.create({
    model: 'cached', messages: [{ role: 'user', content: 'cache me' }], temperature: 0.2,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  }).withResponse();
  const collect = async ({ data, response }) => {
    const chunks = [];
    for await (const c of data) chunks.push(c);
    return { chunks, cache: response.headers.get('x-switchyard-cache'), age: response.headers.get('age') };
  };
  const first = await collect(await ask(true));
  const second = await collect(await ask(true));
  assert.equal(first.cache, 'miss');
  assert.equal(second.cache, 'hit');
  assert.equal(second.age, '0');
  assert.deepEqual(second.chunks, first.chunks);
  assert.ok(first.chunks.length > 3);
  const text = first.chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, expected);
  // The same answer whole, from the stored stream.
  const { data: whole, response } = await ask(false);
  assert.equal(response.headers.get('x-switchyard-cache'), 'hit');
  assert.equal(whole.choices[0].message.content, expected);
  assert.equal(whole.id, first.chunks[0].id);
  assert.equal(whole.usage.completion_tokens, first.chunks.at(-1).usage.completion_tokens);
});

test('the Anthropic SDK gets a cached /v1/messages stream event for event', async () => {
  const ask = async () => {
    const { data, response } = await claude.messages.create({
      model: 'claude-cached', max_tokens: 64, stream: true, messages: [{ role: 'user', content: 'cache me too' }],
    }).withResponse();
    const events = [];
    for await (const e of data) events.push(e);
    return { events, cache: response.headers.get('x-switchyard-cache') };
  };
  const first = await ask();
  const second = await ask();
  assert.equal(first.cache, 'miss');
  assert.equal(second.cache, 'hit');
  assert.deepEqual(second.events, first.events);
  assert.equal(first.events.at(-1).type, 'message_stop');
});

test('the Anthropic SDK: a non-streamed /v1/messages to an Anthropic target is a hit the second time, and a hit streamed too', async () => {
  const params = { model: 'claude-cached', max_tokens: 64, messages: [{ role: 'user', content: 'cache me whole' }] };
  const whole = async () => {
    const { data, response } = await claude.messages.create(params).withResponse();
    return { msg: data, cache: response.headers.get('x-switchyard-cache') };
  };
  const first = await whole();
  const second = await whole();
  assert.equal(first.cache, 'miss');
  assert.equal(second.cache, 'hit');
  assert.deepEqual(second.msg, first.msg);
  // The stored message, asked for as a stream: Anthropic's own events, which the SDK assembles to the same message.
  const { data: events, response } = await claude.messages.create({ ...params, stream: true }).withResponse();
  assert.equal(response.headers.get('x-switchyard-cache'), 'hit');
  const seen = [];
  let text = '';
  for await (const e of events) {
    seen.push(e.type);
    if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
  }
  assert.deepEqual([seen[0], seen.at(-2), seen.at(-1)], ['message_start', 'message_delta', 'message_stop']);
  assert.equal(text, first.msg.content[0].text);
});

test('responses.create refuses background: true with a clear 400 (it could not be accounted)', async () => {
  await assert.rejects(client.responses.create({ model: 'gpt-responses', input: 'hi', background: true }), (e) => {
    assert.equal(e.status, 400);
    assert.match(e.message, /background is not supported/);
    return true;
  });
});

test('embeddings to a route whose targets cannot embed: a 400 the SDK does not retry', async () => {
  const strict = new OpenAI({ apiKey: KEY, baseURL, timeout: 10000 });  // default retries: 2 (a 503 would be retried)
  const started = Date.now();
  await assert.rejects(strict.embeddings.create({ model: 'claude-fast', input: 'x' }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.code, 'model_not_supported');
    assert.match(e.message, /embeddings/);
    return true;
  });
  assert.ok(Date.now() - started < 2000);
});

test('over its rate limit a key gets a RateLimitError with Retry-After, and the SDK succeeds after the wait', async () => {
  const strict = new OpenAI({ apiKey: LIMITED_KEY, baseURL, maxRetries: 0, timeout: 10000 });
  let limited = null;
  for (let i = 0; i < 100 && !limited; i++) {  // 60 a minute, as a burst: the 61st or so is refused
    try {
      const r = await strict.chat.completions.create({ model: 'fast', messages });
      assert.equal(r.choices[0].message.content, expected);
    } catch (e) {
      limited = e;
    }
  }
  assert.ok(limited instanceof OpenAI.RateLimitError, `expected a RateLimitError, got ${limited}`);
  assert.equal(limited.status, 429);
  assert.equal(limited.code, 'rate_limit_exceeded');
  const header = (name) => (typeof limited.headers?.get === 'function' ? limited.headers.get(name) : limited.headers[name]);
  assert.equal(header('retry-after'), '1');
  assert.equal(header('x-ratelimit-limit-requests'), '60');
  assert.equal(header('x-ratelimit-remaining-requests'), '0');
  // The SDK's own retry honours Retry-After: one second later the bucket has a request again.
  const patient = new OpenAI({ apiKey: LIMITED_KEY, baseURL, maxRetries: 3, timeout: 10000 });
  const t0 = Date.now();
  const r = await patient.chat.completions.create({ model: 'fast', messages });
  assert.equal(r.choices[0].message.content, expected);
  assert.ok(Date.now() - t0 >= 300, 'the answer came after a wait');
});

// Google's GenAI SDK: its own API (/v1beta/models/{model}:generateContent and
// :streamGenerateContent?alt=sse, x-goog-api-key) against OpenAI-, Anthropic-
// and Gemini-backed routes; the Gemini-backed one passes through natively.
for (const [route, why] of [['fast', 'an OpenAI-backed route'], ['claude-fast', 'an Anthropic-backed route'], ['gemini-fast', 'a Gemini-backed route (native)']]) {
  test(`the @google/genai SDK generates and streams through ${why}`, async () => {
    const r = await genai.models.generateContent({ model: route, contents: 'Say hello', config: { systemInstruction: 'Be brief.', maxOutputTokens: 64 } });
    assert.equal(r.text, expected);
    assert.equal(r.candidates[0].finishReason, 'STOP');
    assert.ok(r.usageMetadata.candidatesTokenCount > 0, JSON.stringify(r.usageMetadata));
    let text = '';
    let last;
    for await (const chunk of await genai.models.generateContentStream({ model: route, contents: 'Say hello' })) {
      text += chunk.text ?? '';
      last = chunk;
    }
    assert.equal(text, expected);
    assert.equal(last.candidates[0].finishReason, 'STOP');
    assert.ok(last.usageMetadata.totalTokenCount > 0);
  });
}

test('the @google/genai SDK gets a function call from an Anthropic-backed route, and embeds', async () => {
  const r = await genai.models.generateContent({
    model: 'claude-fast', contents: 'Weather in Paris?',
    config: { tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } } }] }] },
  });
  assert.equal(r.functionCalls?.[0]?.name, 'get_weather');
  const e = await genai.models.embedContent({ model: 'embed', contents: ['first', 'second'] });
  assert.equal(e.embeddings.length, 2);
  assert.ok(e.embeddings[0].values.length > 0);
  const list = await genai.models.list();
  const names = [];
  for await (const m of list) names.push(m.name);
  assert.ok(names.includes('models/fast'), names.join(','));
});

test('the @google/genai SDK with a wrong key gets Google\'s 401 shape', async () => {
  const bad = new GoogleGenAI({ apiKey: 'sy-wrong-key-000000000', httpOptions: { baseUrl: baseURL.replace(/\/v1$/, '') } });
  await assert.rejects(bad.models.generateContent({ model: 'fast', contents: 'hi' }), (e) => {
    assert.equal(e.status, 401);
    assert.match(e.message, /UNAUTHENTICATED/);
    return true;
  });
});
