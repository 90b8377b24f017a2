// The official `openai` SDK's Responses API against majordomo-fake; off unless MAJORDOMO_NPM_RESPONSES=1 (until the fake serves /responses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, baseUrls, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

// Turned on by the integrator once the fake's Responses route has landed.
const enabled = process.env.MAJORDOMO_NPM_RESPONSES === '1';
const options = { ...testOptions, skip: !enabled && 'the fake does not serve /responses yet: set MAJORDOMO_NPM_RESPONSES=1 to run' };

const model = 'gpt-4o-mini';
const input = 'Hello, world!';

const response = fixtureJson('openai/responses.json');
const responseText = response.output.flatMap((item) => item.content ?? []).filter((c) => c.type === 'output_text')
  .map((c) => c.text).join('');
const events = fixtureEvents('openai/responses_stream.sse').map((e) => e.data);
const streamText = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
const streamUsage = events.find((e) => e.type === 'response.completed').response.usage;

function client(baseURL) {
  return new OpenAI({ apiKey, baseURL, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
}

function recordedAs(prefix) {
  return { protocol: /^openai/, path: `${prefix}/v1/responses`, auth: { Authorization: `Bearer ${apiKey}` } };
}

for (const base of baseUrls('openai', '/v1')) {
  test(`openai responses JSON, ${base.label}`, options, async () => {
    const tag = requestTag();
    const result = await client(base.url).responses.create({ model, input }, { headers: tag });
    assert.equal(result.status, 'completed');
    assert.equal(result.output_text, responseText);
    assert.deepEqual(result.usage, response.usage);
    await checkRecorded(tag, recordedAs(base.prefix));
  });

  test(`openai responses stream, ${base.label}`, options, async () => {
    const tag = requestTag();
    const stream = await client(base.url).responses.create({ model, input, stream: true }, { headers: tag });
    let text = '';
    let completed;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.ok(streamText.length > 0);
    assert.equal(text, streamText);
    assert.ok(completed, 'the SDK yielded no response.completed event');
    assert.equal(completed.status, 'completed');
    assert.deepEqual(completed.usage, streamUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix));
    assert.equal(JSON.parse(record.body).stream, true);
  });
}

// The helper checks the events' order and sequence and assembles the final response.
test('openai responses stream helper assembles the final response', options, async () => {
  const [base] = baseUrls('openai', '/v1');
  const tag = requestTag();
  const final = await client(base.url).responses.stream({ model, input }, { headers: tag }).finalResponse();
  assert.equal(final.output_text, streamText);
  assert.deepEqual(final.usage, streamUsage);
  await checkRecorded(tag, recordedAs(base.prefix));
});
