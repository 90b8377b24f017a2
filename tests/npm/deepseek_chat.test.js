// The official `openai` SDK pointed at DeepSeek (its base URL has no /v1) against majordomo-fake: JSON and stream, reasoning kept apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';

import {
  apiKey, assertCounts, assertUsage, baseUrls, builtInText, chatFixtures, checkRecorded, defaultHeaders, replies,
  requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'deepseek-v4-pro';
const messages = [{ role: 'user', content: 'hello' }];

function fromFixtures() {
  const { completion, chunks } = chatFixtures('deepseek');
  return {
    jsonText: completion.choices[0].message.content,
    jsonReasoning: completion.choices[0].message.reasoning_content,
    jsonUsage: completion.usage,
    streamText: chunks.map((c) => c.choices[0]?.delta?.content ?? '').join(''),
    streamReasoning: chunks.map((c) => c.choices[0]?.delta?.reasoning_content ?? '').join(''),
    streamUsage: chunks.find((c) => c.usage).usage,
  };
}

function consistentUsage(usage) {
  assertCounts(usage.prompt_tokens, usage.completion_tokens);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  assert.equal(usage.prompt_cache_hit_tokens + usage.prompt_cache_miss_tokens, usage.prompt_tokens);
}

// The built-in replies carry no reasoning text.
const expected = replies === 'fixtures' ? fromFixtures() : {
  jsonText: builtInText('deepseek'), jsonReasoning: undefined, jsonUsage: consistentUsage,
  streamText: builtInText('deepseek'), streamReasoning: '', streamUsage: consistentUsage,
};

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
    assert.equal(message.content, expected.jsonText);
    assert.equal(message.reasoning_content, expected.jsonReasoning);
    assert.equal(response.choices[0].finish_reason, 'stop');
    assertUsage(response.usage, expected.jsonUsage);
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
    assert.ok(expected.streamText.length > 0);
    assert.equal(text, expected.streamText);
    assert.equal(reasoning, expected.streamReasoning);
    assert.equal(finishReason, 'stop');
    assertUsage(usage, expected.streamUsage);
    await checkRecorded(tag, recordedAs(base.prefix));
  });
}
