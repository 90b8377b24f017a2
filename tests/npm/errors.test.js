// Each official SDK turns the fake's error replies (the recorded 400 and 429 fixtures) into its own typed error with the provider's message.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ApiError as GeminiApiError, GoogleGenAI } from '@google/genai';
import { Cohere, CohereClientV2 } from 'cohere-ai';
import OpenAI from 'openai';

import {
  apiKey, defaultHeaders, fixtureJson, origin, recordedRequest, replies, requestTag, testOptions, timeoutMs,
} from './fake_env.js';

const options = { ...testOptions, skip: replies !== 'fixtures' && 'the error replies are fixtures: checked in the fixture run' };

// Queues the fixture for the next request whose path contains a prefix of its own, so that checks
// running in parallel never take each other's scripted replies. Returns that prefix.
async function scriptFixture(fixture) {
  const prefix = `/errors-${randomUUID()}`;
  const response = await fetch(`${origin}/_fake/responses`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fixture, path_contains: `${prefix}/` }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  assert.equal(response.status, 200, `POST /_fake/responses refused ${fixture}: ${await response.text()}`);
  return prefix;
}

// Runs the call and returns what it threw; a call that succeeds fails the check.
async function thrownBy(call) {
  try {
    await call();
  } catch (error) {
    return error;
  }
  assert.fail('the SDK accepted an error reply as a success');
}

const openaiStyle = [
  { provider: 'openai', model: 'gpt-4o-mini', suffix: '/v1' },
  { provider: 'deepseek', model: 'deepseek-flash', suffix: '' },
];

for (const { provider, model, suffix } of openaiStyle) {
  for (const status of [400, 429]) {
    test(`${provider} error_${status} becomes the openai SDK's typed error`, options, async () => {
      const body = fixtureJson(`${provider}/error_${status}.json`);
      const prefix = await scriptFixture(`${provider}/error_${status}.json`);
      const client = new OpenAI({ apiKey, baseURL: `${origin}${prefix}${suffix}`, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
      const tag = requestTag();
      const error = await thrownBy(() => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers: tag }));
      assert.ok(error instanceof (status === 429 ? OpenAI.RateLimitError : OpenAI.BadRequestError), `got ${error}`);
      assert.equal(error.status, status);
      assert.equal(error.code, body.error.code);
      assert.equal(error.type, body.error.type);
      assert.ok(error.message.includes(body.error.message));
      assert.equal((await recordedRequest(tag)).protocol, provider);
    });
  }
}

for (const status of [400, 429]) {
  test(`anthropic error_${status} becomes the anthropic SDK's typed error`, options, async () => {
    const body = fixtureJson(`anthropic/error_${status}.json`);
    const prefix = await scriptFixture(`anthropic/error_${status}.json`);
    const client = new Anthropic({ apiKey, baseURL: `${origin}${prefix}`, defaultHeaders, maxRetries: 0, timeout: timeoutMs });
    const error = await thrownBy(() => client.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }, { headers: requestTag() }));
    assert.ok(error instanceof (status === 429 ? Anthropic.RateLimitError : Anthropic.BadRequestError), `got ${error}`);
    assert.equal(error.status, status);
    assert.equal(error.error.error.type, body.error.type);
    assert.ok(error.message.includes(body.error.message));
  });

  test(`gemini error_${status} becomes the genai SDK's ApiError`, options, async () => {
    const body = fixtureJson(`gemini/error_${status}.json`);
    const prefix = await scriptFixture(`gemini/error_${status}.json`);
    const client = new GoogleGenAI({
      vertexai: false, apiKey, httpOptions: { baseUrl: `${origin}${prefix}`, headers: defaultHeaders, timeout: timeoutMs },
    });
    const error = await thrownBy(() => client.models.generateContent({
      model: 'gemini-2.5-flash', contents: 'hi', config: { httpOptions: { headers: requestTag() } },
    }));
    assert.ok(error instanceof GeminiApiError, `got ${error}`);
    assert.equal(error.status, status);
    assert.ok(error.message.includes(body.error.message));
  });

  test(`cohere error_${status} becomes the cohere SDK's typed error`, options, async () => {
    const body = fixtureJson(`cohere/error_${status}.json`);
    const prefix = await scriptFixture(`cohere/error_${status}.json`);
    const client = new CohereClientV2({
      token: apiKey, baseUrl: `${origin}${prefix}`, headers: defaultHeaders, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000,
    });
    const error = await thrownBy(() => client.chat(
      { model: 'command-a-03-2025', messages: [{ role: 'user', content: 'hi' }] }, { headers: requestTag(), maxRetries: 0 }));
    assert.ok(error instanceof (status === 429 ? Cohere.TooManyRequestsError : Cohere.BadRequestError), `got ${error}`);
    assert.equal(error.statusCode, status);
    assert.equal(error.body.message, body.message);
  });
}
