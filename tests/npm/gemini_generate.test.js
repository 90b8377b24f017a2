// The official `@google/genai` SDK (Gemini API, not Vertex) against majordomo-fake: generateContent and streamGenerateContent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoogleGenAI } from '@google/genai';

import {
  apiKey, assertCounts, assertUsage, baseUrls, builtInText, checkRecorded, defaultHeaders, fixtureEvents, fixtureJson,
  replies, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const model = 'gemini-2.5-flash';
const contents = 'Hello';

function usageOf(metadata) {
  const { promptTokenCount, candidatesTokenCount, totalTokenCount, thoughtsTokenCount } = metadata;
  return { promptTokenCount, candidatesTokenCount, totalTokenCount, thoughtsTokenCount };
}

// The answer is the text of the parts that are not thoughts; a stream's usage is the last chunk's.
function fromFixtures() {
  const generated = fixtureJson('gemini/generate_content.json');
  const events = fixtureEvents('gemini/stream_generate_content.sse').map((e) => e.data);
  const partsText = (candidate) => (candidate?.content?.parts ?? []).filter((p) => !p.thought).map((p) => p.text ?? '').join('');
  return {
    jsonText: partsText(generated.candidates[0]),
    jsonUsage: usageOf(generated.usageMetadata),
    streamText: events.map((e) => partsText(e.candidates?.[0])).join(''),
    streamUsage: usageOf(events.at(-1).usageMetadata),
  };
}

function consistentUsage(usage) {
  assertCounts(usage.promptTokenCount, usage.candidatesTokenCount);
  assert.equal(usage.totalTokenCount, usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0));
}

const expected = replies === 'fixtures' ? fromFixtures() : {
  jsonText: builtInText('gemini'), jsonUsage: consistentUsage, streamText: builtInText('gemini'), streamUsage: consistentUsage,
};

function client(baseUrl) {
  // No retryOptions: the SDK then tries once.
  return new GoogleGenAI({ vertexai: false, apiKey, httpOptions: { baseUrl, headers: defaultHeaders, timeout: timeoutMs } });
}

function recordedAs(prefix, method) {
  return { protocol: 'gemini', path: `${prefix}/v1beta/models/${model}:${method}`, auth: { 'x-goog-api-key': apiKey } };
}

for (const base of baseUrls('gemini')) {
  test(`gemini generateContent, ${base.label}`, testOptions, async () => {
    const tag = requestTag();
    const response = await client(base.url).models.generateContent({ model, contents, config: { httpOptions: { headers: tag } } });
    assert.equal(response.text, expected.jsonText);
    assert.equal(response.candidates[0].finishReason, 'STOP');
    assertUsage(usageOf(response.usageMetadata), expected.jsonUsage);
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
    assert.ok(expected.streamText.length > 0);
    assert.equal(text, expected.streamText);
    assert.equal(finishReason, 'STOP');
    assertUsage(usage && usageOf(usage), expected.streamUsage);
    const record = await checkRecorded(tag, recordedAs(base.prefix, 'streamGenerateContent'));
    assert.match(record.uri, /[?&]alt=sse(&|$)/);
  });
}
