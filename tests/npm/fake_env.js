// Shared by the SDK checks: where the running majordomo-fake is, its recorded requests, and expectations read from the fixtures.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these checks through tests/npm/run_against_fake.sh (ctest does), ` +
                    'which starts majordomo-fake and sets it');
  }
  return value;
}

// http://127.0.0.1:PORT of the fake started by run_against_fake.sh.
export const origin = required('MAJORDOMO_FAKE_ORIGIN');
// Never anything but loopback: these checks must not reach a real provider by mistake.
assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/, `MAJORDOMO_FAKE_ORIGIN must be http://127.0.0.1:PORT, got ${origin}`);
export const fixturesDir = required('MAJORDOMO_FIXTURES');
// What the fake answers with: 'fixtures' (the shared recorded set, replayed) or 'built-in' (the
// replies it generates itself when started with --no-fixtures).
export const replies = process.env.MAJORDOMO_FAKE_REPLIES === 'built-in' ? 'built-in' : 'fixtures';

// Dummy credentials: the fake accepts any non-empty key.
export const apiKey = 'sk-majordomo-dummy-key';
// Sent as each client's default header; the fake must receive it on every request.
export const defaultHeaders = { 'X-Majordomo-Team': 'a' };
// A failure should be quick and clear: no retries, short timeouts.
export const timeoutMs = 10_000;
export const testOptions = { timeout: 30_000 };

// The two base URLs every provider is checked with: the fake's origin as the provider's own
// endpoint, and the same behind a gateway-style path prefix.
export function baseUrls(provider, suffix = '') {
  return [
    { label: 'plain base URL', prefix: '', url: `${origin}${suffix}` },
    { label: `base URL with /gateway/${provider}`, prefix: `/gateway/${provider}`, url: `${origin}/gateway/${provider}${suffix}` },
  ];
}

// A per-request header with a value unique to one call, so that call's record can be found.
export function requestTag() {
  return { 'X-Majordomo-Request': randomUUID() };
}

export function headerValue(record, name) {
  const found = record.headers.find(([header]) => header.toLowerCase() === name.toLowerCase());
  return found ? found[1] : undefined;
}

// The one request the fake recorded with this tag (from requestTag()).
export async function recordedRequest(tag) {
  const response = await fetch(`${origin}/_fake/requests`, { signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(response.status, 200, 'GET /_fake/requests failed');
  const records = await response.json();
  const [[name, value]] = Object.entries(tag);
  const matching = records.filter((record) => headerValue(record, name) === value);
  assert.equal(matching.length, 1,
               `expected exactly one recorded request with ${name}: ${value} (the per-request header), found ${matching.length}`);
  return matching[0];
}

// What every check asks of a recorded request: route, path, default header, per-request header
// and the provider's auth header all arrived as the SDK was told to send them.
export async function checkRecorded(tag, { protocol, path: expectedPath, auth }) {
  const record = await recordedRequest(tag);
  if (protocol instanceof RegExp) assert.match(record.protocol, protocol, 'the fake routed the request to the wrong provider');
  else assert.equal(record.protocol, protocol, 'the fake routed the request to the wrong provider');
  assert.equal(record.uri.split('?')[0], expectedPath);
  assert.equal(headerValue(record, 'X-Majordomo-Team'), 'a', 'the default header did not arrive');
  for (const [name, value] of Object.entries(auth)) {
    assert.equal(headerValue(record, name), value, `auth header ${name} did not arrive as sent`);
  }
  return record;
}

export function fixtureText(relative) {
  return readFileSync(path.join(fixturesDir, relative), 'utf8');
}

export function fixtureJson(relative) {
  return JSON.parse(fixtureText(relative));
}

// The events of an SSE fixture, each as { event, data } with data parsed as JSON where it is JSON;
// comment lines are dropped, as SSE says.
export function fixtureEvents(relative) {
  const events = [];
  for (const block of fixtureText(relative).split(/\r\n\r\n|\n\n|\r\r/)) {
    let event;
    const data = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length === 0) continue;
    const text = data.join('\n');
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // [DONE] and other non-JSON payloads stay text.
    }
    events.push({ event, data: parsed });
  }
  return events;
}

// A Chat Completions provider's two fixtures: the completion, and the chunks of its stream (the
// parsed data of each event but the closing [DONE]).
export function chatFixtures(provider) {
  return {
    completion: fixtureJson(`${provider}/chat_completion.json`),
    chunks: fixtureEvents(`${provider}/chat_completion_stream.sse`).filter((e) => e.data !== '[DONE]').map((e) => e.data),
  };
}

// The answer text of the fake's built-in replies (tools/fake/*_protocol.cpp).
export function builtInText(provider) {
  return provider === 'openai' ? 'Hello from majordomo-fake.' : `Hello from majordomo-fake (${provider}).`;
}

// Token counts the SDK handed back: whole numbers above zero.
export function assertCounts(...counts) {
  for (const count of counts) assert.ok(Number.isInteger(count) && count > 0, `expected a positive token count, got ${count}`);
}

// Usage as the SDK returned it against what is expected: equal to a fixture's value, or, for the
// built-in replies (whose counts follow the request's size), passing a check function.
export function assertUsage(actual, expected) {
  assert.ok(actual, 'the SDK returned no usage');
  if (typeof expected === 'function') expected(actual);
  else assert.deepEqual(actual, expected);
}
