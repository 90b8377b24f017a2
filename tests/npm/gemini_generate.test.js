// The official `@google/genai` SDK (Gemini API, not Vertex) against majordomo-fake: generateContent and streamGenerateContent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoogleGenAI } from '@google/genai';

import {
  apiKey, baseUrls, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'gemini-2.5-flash';
const contents = 'Hello';

const generated = fixtureJson('gemini/generate_content.json');
const events = fixtureEvents('gemini/stream_generate_content.sse').map((e) => e.data);
const partsText = (candidate) => (candidate?.content?.parts ?? []).filter((p) => !p.thought).map((p) => p.text ?? '').join('');
const streamText = events.map((e) => partsText(e.candidates?.[0])).join('');
const streamUsage = events.at(-1).usageMetadata;

function client(baseUrl) {
  // No retryOptions: the SDK then tries once.
  return new GoogleGenAI({ vertexai: false, apiKey, httpOptions: { baseUrl, headers: defaultHeaders, timeout: timeoutMs } });
}

function recordedAs(prefix, method) {
  return { protocol: 'gemini', path: `${prefix}/v1beta/models/${model}:${method}`, auth: { 'x-goog-api-key': apiKey } };
}

function usageOf(metadata) {
  const { promptTokenCount, candidatesTokenCount, totalTokenCount, thoughtsTokenCount } = metadata;
  return { promptTokenCount, candidatesTokenCount, totalTokenCount, thoughtsTokenCount };
}

for (const base of baseUrls('gemini')) {
  test(`gemini generateContent, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).models.generateContent({ model, contents, config: { httpOptions: { headers: tag } } });
    assert.equal(response.text, partsText(generated.candidates[0]));
    assert.equal(response.candidates[0].finishReason, 'STOP');
    assert.deepEqual(usageOf(response.usageMetadata), usageOf(generated.usageMetadata));
    const record = await checkRecorded(tag, recordedAs(base.prefix, 'generateContent'));
    assert.ok(!record.uri.includes('key='), 'the key must travel in the header, not the query');
  });

  test(`gemini streamGenerateContent, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const stream = await client(base.url).models.generateContentStream({
      model, contents, config: { httpOptions: { headers: tag } },
    });
    let text = '';
    let usage;
    let finishReason;
    for await (const chunk of stream) {
      text += chunk.text ?? '';
      finishReason = chunk.candidates?.[0]?.finishReason ?? finishReason;
      if (chunk.usageMetadata) usage = chunk.usageMetadata;
    }
    assert.ok(streamText.length > 0);
    assert.equal(text, streamText);
    assert.equal(finishReason, 'STOP');
    assert.deepEqual(usageOf(usage), usageOf(streamUsage));
    const record = await checkRecorded(tag, recordedAs(base.prefix, 'streamGenerateContent'));
    assert.match(record.uri, /[?&]alt=sse(&|$)/);
  });
}
