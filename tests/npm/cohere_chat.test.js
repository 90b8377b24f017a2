// The official `cohere-ai` SDK (v2 chat) against majordomo-fake: JSON and the event stream, billed units and tokens.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohereClientV2 } from 'cohere-ai';

import {
  apiKey, assertCounts, assertUsage, baseUrls, builtInText, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson,
  replies, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'command-a-03-2025';
const messages = [{ role: 'user', content: 'What is an LLM?' }];


function client(baseUrl) {
  return new CohereClientV2({ token: apiKey, baseUrl, headers: defaultHeaders, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 });
}

function recordedAs(prefix) {
  return { protocol: 'cohere', path: `${prefix}/v2/chat`, auth: { Authorization: `Bearer ${apiKey}` } };
}

// The SDK turns the wire's snake_case usage into camelCase.
function usageOf(wire) {
  return {
    billedUnits: { inputTokens: wire.billed_units.input_tokens, outputTokens: wire.billed_units.output_tokens },
    tokens: { inputTokens: wire.tokens.input_tokens, outputTokens: wire.tokens.output_tokens },
  };
}

function fromFixtures() {
  const chat = fixtureJson('cohere/chat.json');
  const events = fixtureEvents('cohere/chat_stream.sse').map((e) => e.data);
  const end = events.find((e) => e.type === 'message-end').delta;
  return {
    jsonText: chat.message.content[0].text,
    jsonFinish: chat.finish_reason,
    jsonUsage: usageOf(chat.usage),
    streamText: events.filter((e) => e.type === 'content-delta').map((e) => e.delta.message.content.text).join(''),
    streamFinish: end.finish_reason,
    streamUsage: usageOf(end.usage),
  };
}

function consistentUsage(usage) {
  assertCounts(usage.billedUnits.inputTokens, usage.billedUnits.outputTokens, usage.tokens.inputTokens, usage.tokens.outputTokens);
}

const expected = replies === 'fixtures' ? fromFixtures() : {
  jsonText: builtInText('cohere'), jsonFinish: 'COMPLETE', jsonUsage: consistentUsage,
  streamText: builtInText('cohere'), streamFinish: 'COMPLETE', streamUsage: consistentUsage,
};

for (const base of baseUrls('cohere')) {
  test(`cohere chat JSON, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).chat({ model, messages }, { headers: tag, maxRetries: 0 });
    assert.equal(response.message.content[0].type, 'text');
    assert.equal(response.message.content[0].text, expected.jsonText);
    assert.equal(response.finishReason, expected.jsonFinish);
    assertUsage(response.usage, expected.jsonUsage);
    await checkRecorded(tag, recordedAs(base.prefix));
  });

  test(`cohere chat stream, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const stream = await client(base.url).chatStream({ model, messages }, { headers: tag, maxRetries: 0 });
    let text = '';
    let end;
    for await (const event of stream) {
      if (event.type === 'content-delta') text += event.delta?.message?.content?.text ?? '';
      if (event.type === 'message-end') end = event.delta;
    }
    assert.ok(expected.streamText.length > 0);
    assert.equal(text, expected.streamText);
    assert.ok(end, 'the SDK yielded no message-end event');
    assert.equal(end.finishReason, expected.streamFinish);
    assertUsage(end.usage, expected.streamUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix));
    assert.equal(JSON.parse(record.body).stream, true);
  });
}
