// The official `@anthropic-ai/sdk` Messages API against majordomo-fake: JSON, raw event stream and the accumulating stream helper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';

import {
  apiKey, assertCounts, assertUsage, baseUrls, builtInText, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson,
  headerValue, recordedRequest, replies, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const params = { model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] };

// Usage is compared as { input_tokens, output_tokens }: in a stream the first comes with
// message_start and the second with message_delta.
function fromFixtures() {
  const message = fixtureJson('anthropic/message.json');
  const events = fixtureEvents('anthropic/message_stream.sse').map((e) => e.data);
  return {
    jsonText: message.content[0].text,
    jsonUsage: { input_tokens: message.usage.input_tokens, output_tokens: message.usage.output_tokens },
    streamText: events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join(''),
    streamUsage: {
      input_tokens: events.find((e) => e.type === 'message_start').message.usage.input_tokens,
      output_tokens: events.find((e) => e.type === 'message_delta').usage.output_tokens,
    },
  };
}

function consistentUsage(usage) {
  assertCounts(usage.input_tokens, usage.output_tokens);
}

const expected = replies === 'fixtures' ? fromFixtures() : {
  jsonText: builtInText('anthropic'), jsonUsage: consistentUsage, streamText: builtInText('anthropic'), streamUsage: consistentUsage,
};

const tokens = ({ input_tokens, output_tokens }) => ({ input_tokens, output_tokens });

function client(baseURL) {
  return new Anthropic({ apiKey, baseURL, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
}

// SDK 1.x sends the key as a Bearer token (PROTOCOLS.md §0.2 notes it); the API also takes x-api-key.
function recordedAs(prefix, auth = { Authorization: `Bearer ${apiKey}` }) {
  return { protocol: 'anthropic', path: `${prefix}/v1/messages`, auth };
}

async function checkVersionHeader(tag, prefix, auth) {
  const record = await checkRecorded(tag, recordedAs(prefix, auth));
  assert.match(String(headerValue(record, 'anthropic-version')), /^\d{4}-\d{2}-\d{2}$/);
}

for (const base of baseUrls('anthropic')) {
  test(`anthropic messages JSON, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).messages.create(params, { headers: tag });
    assert.equal(response.content[0].type, 'text');
    assert.equal(response.content[0].text, expected.jsonText);
    assert.equal(response.stop_reason, 'end_turn');
    assertUsage(tokens(response.usage), expected.jsonUsage);
    await checkVersionHeader(tag, base.prefix);
  });

  test(`anthropic messages stream, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const stream = await client(base.url).messages.create({ ...params, stream: true }, { headers: tag });
    let text = '';
    let inputTokens;
    let outputTokens;
    let stopReason;
    for await (const event of stream) {
      if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') {
        outputTokens = event.usage.output_tokens;
        stopReason = event.delta.stop_reason;
      }
    }
    assert.ok(expected.streamText.length > 0);
    assert.equal(text, expected.streamText);
    assert.equal(stopReason, 'end_turn');
    assertUsage({ input_tokens: inputTokens, output_tokens: outputTokens }, expected.streamUsage);
    await checkVersionHeader(tag, base.prefix);
  });
}

// The helper folds the events into one message and rejects events that arrive out of order.
test('anthropic stream helper assembles the final message', testOptions, async () => {
  const [base] = baseUrls('anthropic');
  const tag = requestTag();
  const stream = client(base.url).messages.stream(params, { headers: tag });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, expected.streamText);
  assert.equal(final.stop_reason, 'end_turn');
  assertUsage(tokens(final.usage), expected.streamUsage);
  await checkVersionHeader(tag, base.prefix);
});

// The header the API documents for keys: given as a default header, the SDK sends it instead of its own.
test('anthropic messages JSON with x-api-key as a default header', testOptions, async () => {
  const [base] = baseUrls('anthropic');
  const tag = requestTag();
  const keyed = new Anthropic({
    apiKey: null, baseURL: base.url, defaultHeaders: { ...defaultHeaders, 'x-api-key': apiKey }, maxRetries: 0,
    timeout: timeoutMs,
  });
  const response = await keyed.messages.create(params, { headers: tag });
  assert.equal(response.content[0].text, expected.jsonText);
  const record = await recordedRequest(tag);
  assert.equal(headerValue(record, 'x-api-key'), apiKey);
  assert.equal(headerValue(record, 'Authorization'), undefined);
});
