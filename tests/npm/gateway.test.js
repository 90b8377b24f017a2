// majordomo serve through the official SDKs: openai and @anthropic-ai/sdk, pointed at the gateway in front of majordomo-fake, reach all five providers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

import { origin, testOptions, timeoutMs } from './fake_env.js';

const cli = process.env.MAJORDOMO_CLI;
assert.ok(cli, 'MAJORDOMO_CLI is not set: ctest passes the build\'s majordomo binary');

const gatewayKey = 'mjk-npm-team-a-0001';
const slowKey = 'mjk-npm-slow-0002';
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const providers = [
  ['openai', 'gpt-4o'],
  ['anthropic', 'claude-haiku-4-5'],
  ['gemini', 'gemini-2.5-flash'],
  ['deepseek', 'deepseek-chat'],
  ['cohere', 'command-a-03-2025'],
];

const work = mkdtempSync(path.join(tmpdir(), 'majordomo-gateway-npm-'));
let gateway;        // the `majordomo serve` child
let gatewayOrigin;  // http://127.0.0.1:PORT
let gatewayExit;    // resolves with its exit code

before(async () => {
  const config = {
    listen: '127.0.0.1:0',
    access_log: path.join(work, 'access.log'),
    providers: {
      openai: { base_url: `${origin}/v1`, api_key: 'sk-test-0000', max_attempts: 1 },
      anthropic: { base_url: origin, api_key: 'sk-ant-test-0000', max_attempts: 1 },
      gemini: { base_url: origin, api_key: 'AIza-test-0000', max_attempts: 1 },
      deepseek: { base_url: origin, api_key: 'sk-ds-test-0000', max_attempts: 1 },
      cohere: { base_url: origin, api_key: 'co-test-0000', max_attempts: 1 },
    },
    gateway_keys: [
      { name: 'team-a', sha256: sha256(gatewayKey) },
      { name: 'slow', sha256: sha256(slowKey), requests_per_minute: 1 },
    ],
    cascades: { fast: ['openai/gpt-4o', 'anthropic/claude-haiku-4-5'] },
  };
  const file = path.join(work, 'gateway.json');
  writeFileSync(file, JSON.stringify(config));
  gateway = spawn(cli, ['serve', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  gatewayExit = new Promise((resolve) => gateway.on('exit', (code, signal) => resolve(signal ?? code)));
  // The gateway says where it listens on stderr once the port is open: reading that line is the wait.
  const lines = createInterface({ input: gateway.stderr });
  const stderr = [];
  gatewayOrigin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`majordomo serve did not start: ${stderr.join('\n')}`)), 30_000);
    lines.on('line', (line) => {
      stderr.push(line);
      const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    gateway.on('exit', () => reject(new Error(`majordomo serve exited: ${stderr.join('\n')}`)));
  });
});

after(async () => {
  if (gateway && gateway.exitCode === null) {
    gateway.kill('SIGTERM');
    // SIGTERM drains and exits 0: anything else (a crash, a sanitizer report) fails the run.
    assert.equal(await gatewayExit, 0, 'majordomo serve did not exit 0 after SIGTERM');
  }
  rmSync(work, { recursive: true, force: true });
});

const openai = (apiKey = gatewayKey) =>
  new OpenAI({ apiKey, baseURL: `${gatewayOrigin}/v1`, maxRetries: 0, timeout: timeoutMs });
const anthropic = (apiKey = gatewayKey) =>
  new Anthropic({ apiKey, baseURL: gatewayOrigin, maxRetries: 0, timeout: timeoutMs });

async function script(response) {
  const reply = await fetch(`${origin}/_fake/responses`, {
    method: 'POST',
    body: JSON.stringify(response),
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  assert.equal(reply.status, 200, 'scripting the fake failed');
}

for (const [provider, model] of providers) {
  const name = `${provider}/${model}`;

  test(`openai SDK → ${name}: JSON`, testOptions, async () => {
    const completion = await openai().chat.completions.create({ model: name, messages: [{ role: 'user', content: 'Say hello.' }] });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, name);
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.ok(completion.usage.prompt_tokens > 0);
  });

  test(`openai SDK → ${name}: stream`, testOptions, async () => {
    const stream = await openai().chat.completions.create({
      model: name, messages: [{ role: 'user', content: 'Say hello.' }], stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta?.content) text += chunk.choices[0].delta.content;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.ok(usage.completion_tokens > 0);
  });

  test(`anthropic SDK → ${name}: JSON`, testOptions, async () => {
    const message = await anthropic().messages.create({ model: name, max_tokens: 64, messages: [{ role: 'user', content: 'Say hello.' }] });
    assert.equal(message.type, 'message');
    // A model that reasons (DeepSeek's fixture does) answers with a thinking block first.
    const text = message.content.find((block) => block.type === 'text');
    assert.ok(text.text.length > 0);
    assert.ok(message.usage.output_tokens > 0);
  });

  test(`anthropic SDK → ${name}: stream`, testOptions, async () => {
    const stream = anthropic().messages.stream({ model: name, max_tokens: 64, messages: [{ role: 'user', content: 'Say hello.' }] });
    let text = '';
    stream.on('text', (piece) => { text += piece; });
    const message = await stream.finalMessage();
    assert.ok(text.length > 0);
    assert.equal(message.content.find((block) => block.type === 'text').text, text);
    assert.ok(message.usage.output_tokens > 0);
  });
}

test('both SDKs list the models the gateway routes', testOptions, async () => {
  const ids = [];
  for await (const model of openai().models.list()) ids.push(model.id);
  for (const [provider, model] of providers.slice(0, 3)) assert.ok(ids.includes(`${provider}/${model}`), `${provider}/${model} not listed`);
  assert.ok(ids.includes('fast'));
  const anthropicIds = [];
  for await (const model of anthropic().models.list()) anthropicIds.push(model.id);
  assert.deepEqual(anthropicIds, ids);
});

test('a wrong gateway key is each SDK\'s AuthenticationError', testOptions, async () => {
  await assert.rejects(openai('mjk-wrong').chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
                       OpenAI.AuthenticationError);
  await assert.rejects(anthropic('mjk-wrong').messages.create({ model: 'anthropic/claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
                       Anthropic.AuthenticationError);
});

test('over the key\'s rate: each SDK\'s RateLimitError', testOptions, async () => {
  await openai(slowKey).chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] });
  const refused = await openai(slowKey).chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] })
    .then(() => null, (error) => error);
  assert.ok(refused instanceof OpenAI.RateLimitError, `expected RateLimitError, got ${refused}`);
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  await assert.rejects(anthropic(slowKey).messages.create({ model: 'anthropic/claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
                       Anthropic.RateLimitError);
});

test('a provider failing is each SDK\'s InternalServerError', testOptions, async () => {
  await script({ status: 500, body: '{"error":{"message":"scripted outage","type":"server_error"}}', path_contains: '/chat/completions' });
  await assert.rejects(openai().chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
                       (error) => error instanceof OpenAI.InternalServerError && /scripted outage/.test(error.message));
  await script({ status: 500, body: '{"type":"error","error":{"type":"api_error","message":"scripted outage"}}', path_contains: '/v1/messages' });
  await assert.rejects(anthropic().messages.create({ model: 'anthropic/claude-haiku-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
                       (error) => error instanceof Anthropic.InternalServerError && /scripted outage/.test(error.message));
});

test('a cascade alias fails over through the gateway', testOptions, async () => {
  await script({ status: 503, body: '{"error":{"message":"scripted overload","type":"server_error"}}', path_contains: '/chat/completions' });
  const { data, response } = await openai().chat.completions
    .create({ model: 'fast', messages: [{ role: 'user', content: 'Say hello.' }] })
    .withResponse();
  assert.equal(response.headers.get('x-majordomo-served-by'), 'anthropic:claude-haiku-4-5');
  assert.ok(data.choices[0].message.content.length > 0);
});
