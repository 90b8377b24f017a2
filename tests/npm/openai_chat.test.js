// The official `openai` SDK's Chat Completions against majordomo-fake: JSON, raw stream and the accumulating stream helper.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, baseUrls, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'gpt-4o-mini';
const messages = [{ role: 'user', content: 'Say hello.' }];

const completion = fixtureJson('openai/chat_completion.json');
const chunks = fixtureEvents('openai/chat_completion_stream.sse').filter((e) => e.data !== '[DONE]').map((e) => e.data);
const streamText = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
const streamUsage = chunks.find((c) => c.usage).usage;

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
    assert.equal(response.choices[0].message.content, completion.choices[0].message.content);
    assert.equal(response.choices[0].finish_reason, 'stop');
    assert.deepEqual(response.usage, completion.usage);
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
    assert.ok(streamText.length > 0);
    assert.equal(text, streamText);
    assert.equal(finishReason, 'stop');
    assert.deepEqual(usage, streamUsage);
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
  assert.equal(final.choices[0].message.content, streamText);
  assert.equal(final.choices[0].finish_reason, 'stop');
  assert.deepEqual(final.usage, streamUsage);
  await checkRecorded(tag, recordedAs(base.prefix));
});
