// The official `openai` SDK pointed at DeepSeek (its base URL has no /v1) against majordomo-fake: JSON and stream, reasoning kept apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, baseUrls, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'deepseek-reasoner';
const messages = [{ role: 'user', content: 'hello' }];

const completion = fixtureJson('deepseek/chat_completion.json');
const chunks = fixtureEvents('deepseek/chat_completion_stream.sse').filter((e) => e.data !== '[DONE]').map((e) => e.data);
const streamText = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
const streamReasoning = chunks.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join('');
const streamUsage = chunks.find((c) => c.usage).usage;

function client(baseURL) {
  return new OpenAI({ apiKey, baseURL, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
}

// DeepSeek's documented base URL is the bare host, so the SDK posts to /chat/completions.
function recordedAs(prefix) {
  return { protocol: 'deepseek', path: `${prefix}/chat/completions`, auth: { Authorization: `Bearer ${apiKey}` } };
}

for (const base of baseUrls('deepseek')) {
  test(`deepseek chat JSON, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).chat.completions.create({ model, messages }, { headers: tag });
    const message = response.choices[0].message;
    assert.equal(message.content, completion.choices[0].message.content);
    assert.equal(message.reasoning_content, completion.choices[0].message.reasoning_content);
    assert.equal(response.choices[0].finish_reason, 'stop');
    assert.deepEqual(response.usage, completion.usage);
    await checkRecorded(tag, recordedAs(base.prefix));
  });

  test(`deepseek chat stream, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const stream = await client(base.url).chat.completions.create({ model, messages, stream: true }, { headers: tag });
    let text = '';
    let reasoning = '';
    let usage;
    let finishReason;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      reasoning += chunk.choices[0]?.delta?.reasoning_content ?? '';
      finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(streamText.length > 0 && streamReasoning.length > 0);
    assert.equal(text, streamText);
    assert.equal(reasoning, streamReasoning);
    assert.equal(finishReason, 'stop');
    assert.deepEqual(usage, streamUsage);
    await checkRecorded(tag, recordedAs(base.prefix));
  });
}
