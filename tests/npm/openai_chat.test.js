// The official `openai` SDK's Chat Completions against majordomo-fake: JSON, raw stream and the accumulating stream helper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, assertCounts, assertUsage, baseUrls, builtInText, chatFixtures, checkRecorded, defaultHeaders, replies,
  requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'gpt-4o-mini';
const messages = [{ role: 'user', content: 'Say hello.' }];

function fromFixtures() {
  const { completion, chunks } = chatFixtures('openai');
  return {
    jsonText: completion.choices[0].message.content,
    jsonUsage: completion.usage,
    streamText: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''),
    streamUsage: chunks.find((c) => c.usage).usage,
  };
}

function consistentUsage(usage) {
  assertCounts(usage.prompt_tokens, usage.completion_tokens);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

const expected = replies === 'fixtures' ? fromFixtures() : {
  jsonText: builtInText('openai'), jsonUsage: consistentUsage, streamText: builtInText('openai'), streamUsage: consistentUsage,
};

function client(baseURL) {
  return new OpenAI({ apiKey, baseURL, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
}

function recordedAs(prefix) {
  return { protocol: 'openai', path: `${prefix}/v1/chat/completions`, auth: { Authorization: `Bearer ${apiKey}` } };
}

for (const base of baseUrls('openai', '/v1')) {
  test(`openai chat JSON, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).chat.completions.create({ model, messages }, { headers: tag });
    assert.equal(response.choices[0].message.content, expected.jsonText);
    assert.equal(response.choices[0].finish_reason, 'stop');
    assertUsage(response.usage, expected.jsonUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix));
    assert.equal(JSON.parse(record.body).model, model);
  });

  test(`openai chat stream, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const stream = await client(base.url).chat.completions.create(
      { model, messages, stream: true, stream_options: { include_usage: true } }, { headers: tag });
    let text = '';
    let usage;
    let finishReason;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(expected.streamText.length > 0);
    assert.equal(text, expected.streamText);
    assert.equal(finishReason, 'stop');
    assertUsage(usage, expected.streamUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix));
    assert.equal(JSON.parse(record.body).stream, true);
  });
}

// The helper accumulates the chunks into one completion and rejects a stream that does not add up.
test('openai chat stream helper assembles the final completion', testOptions, async () => {
  const [base] = baseUrls('openai', '/v1');
  const tag = requestTag();
  const runner = client(base.url).chat.completions.stream(
    { model, messages, stream_options: { include_usage: true } }, { headers: tag });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.content, expected.streamText);
  assert.equal(final.choices[0].finish_reason, 'stop');
  assertUsage(final.usage, expected.streamUsage);
  await checkRecorded(tag, recordedAs(base.prefix));
});
