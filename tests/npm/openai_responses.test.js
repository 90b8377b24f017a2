// The official `openai` SDK's Responses API against majordomo-fake (JSON, stream and the stream helper).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, assertCounts, assertUsage, baseUrls, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson, replies,
  requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const options = testOptions;

const model = 'gpt-4o-mini';
const input = 'Hello, world!';

function fromFixtures() {
  const response = fixtureJson('openai/responses.json');
  const events = fixtureEvents('openai/responses_stream.sse').map((e) => e.data);
  return {
    jsonText: outputText(response),
    jsonUsage: response.usage,
    streamText: events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''),
    streamUsage: events.find((e) => e.type === 'response.completed').response.usage,
  };
}

function consistentUsage(usage) {
  assertCounts(usage.input_tokens, usage.output_tokens);
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
}

// The built-in replies' wording is the fake's own: checked for being there, and for the stream
// adding up to the final response.
const expected = replies === 'fixtures' ? fromFixtures() : { jsonUsage: consistentUsage, streamUsage: consistentUsage };

function outputText(response) {
  return response.output.flatMap((item) => item.content ?? []).filter((c) => c.type === 'output_text').map((c) => c.text)
    .join('');
}

function assertText(actual, wanted) {
  if (wanted === undefined) assert.ok(actual.length > 0, 'the SDK yielded no answer text');
  else assert.equal(actual, wanted);
}

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
    assertText(result.output_text, expected.jsonText);
    assertUsage(result.usage, expected.jsonUsage);
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
    assertText(text, expected.streamText);
    assert.ok(completed, 'the SDK yielded no response.completed event');
    assert.equal(completed.status, 'completed');
    assert.equal(outputText(completed), text, 'the deltas do not add up to the completed response');
    assertUsage(completed.usage, expected.streamUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix));
    assert.equal(JSON.parse(record.body).stream, true);
  });
}

// The helper checks the events' order and sequence and assembles the final response.
test('openai responses stream helper assembles the final response', options, async () => {
  const [base] = baseUrls('openai', '/v1');
  const tag = requestTag();
  const final = await client(base.url).responses.stream({ model, input }, { headers: tag }).finalResponse();
  assertText(final.output_text, expected.streamText);
  assertUsage(final.usage, expected.streamUsage);
  await checkRecorded(tag, recordedAs(base.prefix));
});
