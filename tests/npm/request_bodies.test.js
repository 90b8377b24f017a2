// Request bodies: one conversation built with each provider's official SDK and given to `majordomo ask` reaches the fake as the same JSON.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { FunctionCallingConfigMode, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { CohereClientV2 } from 'cohere-ai';

import { apiKey, origin, testOptions, timeoutMs } from './fake_env.js';

// Each SDK request below is written only with members of that SDK's own request types (as its
// .d.ts files declare them, no casts), so what majordomo must match is what the SDK can build.
const run = promisify(execFile);
// The majordomo CLI of this build (ctest sets it); without it these checks cannot run.
const cli = process.env.MAJORDOMO_CLI;
assert.ok(cli, 'MAJORDOMO_CLI is not set: ctest passes the build\'s majordomo binary');

// The conversation every check sends: a question, the assistant's call, its result, and a
// follow-up question with a picture.
const prompt = 'What is the weather in Paris?';
const question = 'And what is in this picture?';
const weather = {
  name: 'get_weather',
  description: 'The current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
};
const result = '{"temp_c":21}';
const work = mkdtempSync(path.join(tmpdir(), 'majordomo-bodies-'));
const toolsFile = path.join(work, 'tools.json');
writeFileSync(toolsFile, JSON.stringify([weather]));
// Not a decodable PNG: no client looks inside, and the bytes must arrive unchanged.
const image = Buffer.from('\x89PNG\r\n\x1a\n not really an image', 'latin1');
const imagePath = path.join(work, 'picture.png');
writeFileSync(imagePath, image);
const imageBase64 = image.toString('base64');
const imageDataUrl = `data:image/png;base64,${imageBase64}`;

// A path prefix of this check's own, so that its two requests can be told from the other files'
// (they share the fake).
function prefix() {
  return `/bodies-${randomUUID()}`;
}

// The two bodies recorded under a prefix, in the order sent: the SDK's, then majordomo's.
async function recordedBodies(pathPrefix) {
  const response = await fetch(`${origin}/_fake/requests`, { signal: AbortSignal.timeout(timeoutMs) });
  assert.equal(response.status, 200, 'GET /_fake/requests failed');
  const records = (await response.json()).filter((record) => record.uri.startsWith(`${pathPrefix}/`));
  assert.equal(records.length, 2, 'expected one request from the SDK and one from majordomo');
  return records.map((record) => JSON.parse(record.body));
}

// The same conversation for majordomo, in its neutral --messages format (docs/cli.md).
function messagesFile(name, messages) {
  const file = path.join(work, `${name}-messages.json`);
  writeFileSync(file, JSON.stringify(messages));
  return file;
}

// `majordomo ask` against the fake; its answer does not matter here, only the body it sent.
async function ask(provider, model, base, args) {
  await run(cli, ['ask', '--provider', provider, '--model', model, '--api-key', apiKey, '--base-url', base,
                  '--timeout', '20', '--output', 'json', ...args], { timeout: 30_000 });
}

// Every top-level field, not just the listed ones: a field majordomo adds or misses fails too.
function assertSameBody(fromMajordomo, fromSdk) {
  assert.deepEqual(Object.keys(fromMajordomo).sort(), Object.keys(fromSdk).sort(), 'the bodies have different fields');
  for (const field of Object.keys(fromSdk)) {
    assert.deepEqual(fromMajordomo[field], fromSdk[field], `field ${field} differs`);
  }
}

// cohere-ai's chat() always writes "stream": false, the API's default, which majordomo leaves out
// of a request that does not stream.
function withoutStreamFalse(body) {
  assert.equal(body.stream, false, 'the SDK no longer sends "stream": false: drop this normalisation');
  const { stream, ...rest } = body;
  return rest;
}

test('openai: majordomo sends tools, a tool result, an image and reasoning as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}/v1`;
  const client = new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.chat.completions.create({
    model: 'gpt-5',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: prompt },
      { role: 'assistant', content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: result },
      { role: 'user', content: [{ type: 'text', text: question }, { type: 'image_url', image_url: { url: imageDataUrl } }] },
    ],
    tools: [{ type: 'function', function: structuredClone(weather) }],
    tool_choice: 'required',
    reasoning_effort: 'low',
  });
  const messages = messagesFile('openai', [
    { role: 'user', content: prompt },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: result },
  ]);
  await ask('openai', 'gpt-5', base, ['--system', 'Be brief.', '--messages', messages, '--tools', toolsFile,
                                      '--tool-choice', 'required', '--reasoning-effort', 'low', '--image', imagePath, question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('anthropic: majordomo sends tools, a tool result, an image, thinking and caching as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  // Anthropic wants the thinking before a call back, signed, when thinking is on.
  const thinking = { type: 'thinking', thinking: 'The user wants the weather: call the tool.', signature: 'c2lnbmF0dXJl' };
  const client = new Anthropic({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.messages.create({
    model: 'claude-haiku-4-5', max_tokens: 4096, system: 'Be brief.',
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: [thinking, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: result, is_error: false },
        { type: 'text', text: question },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: imageBase64 } },
      ] },
    ],
    tools: [{ name: weather.name, description: weather.description, input_schema: weather.parameters }],
    // With thinking on, Anthropic takes only tool_choice auto (not sent) or none.
    tool_choice: { type: 'none' },
    thinking: { type: 'enabled', budget_tokens: 2048 },
    cache_control: { type: 'ephemeral' },
  });
  const messages = messagesFile('anthropic', [
    { role: 'user', content: prompt },
    { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', name: 'get_weather', arguments: { city: 'Paris' } }],
      continuation: { provider: 'anthropic', items: [JSON.stringify(thinking)] } },
    { role: 'tool', tool_call_id: 'toolu_1', content: result },
  ]);
  await ask('anthropic', 'claude-haiku-4-5', base, ['--system', 'Be brief.', '--max-tokens', '4096', '--messages', messages,
                                                    '--tools', toolsFile, '--tool-choice', 'none', '--thinking', '2048',
                                                    '--image', imagePath, question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('gemini: majordomo sends tools, a tool result, an image and thinking as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const client = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: base, apiVersion: 'v1beta', timeout: timeoutMs } });
  await client.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [
      { role: 'user', parts: [{ text: prompt }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: JSON.parse(result) } }] },
      { role: 'user', parts: [{ text: question }, { inlineData: { mimeType: 'image/png', data: imageBase64 } }] },
    ],
    config: {
      // A Content, not the string shorthand: the SDK turns a string into a Content with role
      // "user", a role the API ignores in systemInstruction and majordomo leaves out.
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      // The SDK upper-cases the schema's types as majordomo does; majordomo also writes
      // propertyOrdering (a field of the SDK's own Schema type), its Schema dialect's key order.
      tools: [{ functionDeclarations: [{ ...structuredClone(weather),
                                         parameters: { ...structuredClone(weather.parameters), propertyOrdering: ['city', 'unit'] } }] }],
      toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } },
      thinkingConfig: { thinkingBudget: 2048 },
    },
  });
  const messages = messagesFile('gemini', [
    { role: 'user', content: prompt },
    { role: 'assistant', content: null, tool_calls: [{ id: '', name: 'get_weather', arguments: { city: 'Paris' } }] },
    { role: 'tool', tool_call_id: '', name: 'get_weather', content: JSON.parse(result) },
  ]);
  await ask('gemini', 'gemini-2.5-flash', base, ['--system', 'Be brief.', '--messages', messages, '--tools', toolsFile,
                                                 '--tool-choice', 'required', '--thinking', '2048', '--image', imagePath, question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('cohere: majordomo sends tools, a tool plan, a tool result and thinking as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const plan = 'I will look up the weather in Paris.';
  const client = new CohereClientV2({ token: apiKey, baseUrl: base, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 });
  await client.chat({
    model: 'command-a-reasoning-08-2025',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: prompt },
      { role: 'assistant', toolPlan: plan,
        toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', toolCallId: 'call_1', content: result },
      { role: 'user', content: question },
    ],
    tools: [{ type: 'function', function: structuredClone(weather) }],
    toolChoice: 'REQUIRED',
    thinking: { type: 'enabled', tokenBudget: 2048 },
  });
  const messages = messagesFile('cohere', [
    { role: 'user', content: prompt },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }],
      continuation: { provider: 'cohere', items: [`tool_plan:${plan}`] } },
    { role: 'tool', tool_call_id: 'call_1', content: result },
  ]);
  await ask('cohere', 'command-a-reasoning-08-2025', base, ['--system', 'Be brief.', '--messages', messages, '--tools', toolsFile,
                                                            '--tool-choice', 'required', '--thinking', '2048', question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, withoutStreamFalse(fromSdk));
});

// Cohere's one vision model takes no tools, so the image has a check of its own.
test('cohere: majordomo sends an image as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const client = new CohereClientV2({ token: apiKey, baseUrl: base, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 });
  await client.chat({
    model: 'command-a-vision-07-2025',
    messages: [{ role: 'user', content: [{ type: 'text', text: question }, { type: 'image_url', imageUrl: { url: imageDataUrl } }] }],
  });
  await ask('cohere', 'command-a-vision-07-2025', base, ['--image', imagePath, question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, withoutStreamFalse(fromSdk));
});

test('openai responses: majordomo sends tools, a tool result, an image and reasoning as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}/v1`;
  const client = new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.responses.create({
    model: 'gpt-5', store: false, instructions: 'Be brief.',
    input: [
      { role: 'user', content: prompt },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: result },
      { role: 'user', content: [{ type: 'input_text', text: question }, { type: 'input_image', image_url: imageDataUrl, detail: 'auto' }] },
    ],
    tools: [{ type: 'function', ...structuredClone(weather), strict: false }],
    tool_choice: 'required',
    reasoning: { effort: 'low' },
    include: ['reasoning.encrypted_content'],
  });
  const messages = messagesFile('responses', [
    { role: 'user', content: prompt },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: result },
  ]);
  await ask('openai', 'gpt-5', base, ['--api', 'responses', '--system', 'Be brief.', '--messages', messages, '--tools', toolsFile,
                                      '--tool-choice', 'required', '--reasoning-effort', 'low', '--image', imagePath, question]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

// The second conversation: the assistant said something beside its call, the call failed (its
// result is text, not JSON), and the next turn must call one named tool out of two.
const clock = { name: 'get_time', description: 'The current time in a city',
                parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const twoToolsFile = path.join(work, 'two-tools.json');
writeFileSync(twoToolsFile, JSON.stringify([weather, clock]));
const saying = 'Let me look that up.';
const failure = 'No weather service answered';
const retry = 'Try again, please.';

function failedCallMessages(name, id, continuation) {
  return messagesFile(name, [
    { role: 'user', content: prompt },
    { role: 'assistant', content: saying, tool_calls: [{ id, name: 'get_weather', arguments: { city: 'Paris' } }],
      ...(continuation ? { continuation } : {}) },
    // `name` picks the call when it has no id (Gemini's); with an id, the call's own name is sent.
    { role: 'tool', tool_call_id: id, name: 'get_weather', content: failure, is_error: true },
  ]);
}

test('anthropic: majordomo sends text beside a call, a failed call, a named tool and an effort as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const client = new Anthropic({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.messages.create({
    model: 'claude-haiku-4-5', max_tokens: 1024,
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: [{ type: 'text', text: saying },
                                     { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: failure, is_error: true },
                                { type: 'text', text: retry }] },
    ],
    tools: [weather, clock].map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters })),
    tool_choice: { type: 'tool', name: 'get_weather' },
    output_config: { effort: 'low' },
  });
  await ask('anthropic', 'claude-haiku-4-5', base, ['--max-tokens', '1024', '--messages', failedCallMessages('anthropic-failed', 'toolu_1'),
                                                    '--tools', twoToolsFile, '--tool-choice', 'get_weather',
                                                    '--reasoning-effort', 'low', '--no-prompt-cache', retry]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('gemini: majordomo sends text beside a call, a failed call, a named tool and thinking off as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const client = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: base, apiVersion: 'v1beta', timeout: timeoutMs } });
  await client.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [
      { role: 'user', parts: [{ text: prompt }] },
      { role: 'model', parts: [{ text: saying }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { error: failure } } }] },
      { role: 'user', parts: [{ text: retry }] },
    ],
    config: {
      tools: [{ functionDeclarations: [weather, clock].map((tool) => ({
        ...structuredClone(tool), parameters: { ...structuredClone(tool.parameters), propertyOrdering: Object.keys(tool.parameters.properties) } })) }],
      toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['get_weather'] } },
      thinkingConfig: { thinkingBudget: 0 },
    },
  });
  await ask('gemini', 'gemini-2.5-flash', base, ['--messages', failedCallMessages('gemini-failed', ''), '--tools', twoToolsFile,
                                                 '--tool-choice', 'get_weather', '--thinking', 'off', retry]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('cohere: majordomo sends text beside a call, a failed call, a named tool and thinking off as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}`;
  const client = new CohereClientV2({ token: apiKey, baseUrl: base, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 });
  await client.chat({
    model: 'command-a-reasoning-08-2025',
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: saying,
        toolCalls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', toolCallId: 'call_1', content: [{ type: 'text', text: failure }] },
      { role: 'user', content: retry },
    ],
    // Cohere has no named tool choice: the one tool, required, asks the same.
    tools: [{ type: 'function', function: structuredClone(weather) }],
    toolChoice: 'REQUIRED',
    thinking: { type: 'disabled' },
  });
  await ask('cohere', 'command-a-reasoning-08-2025', base, ['--messages', failedCallMessages('cohere-failed', 'call_1'),
                                                            '--tools', twoToolsFile, '--tool-choice', 'get_weather', '--thinking', 'off', retry]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, withoutStreamFalse(fromSdk));
});

test('openai responses: majordomo sends text beside a call, a failed call, a named tool and thinking off as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}/v1`;
  const client = new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.responses.create({
    model: 'gpt-5', store: false,
    input: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: saying },
      { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { type: 'function_call_output', call_id: 'call_1', output: failure },
      { role: 'user', content: retry },
    ],
    tools: [weather, clock].map((tool) => ({ type: 'function', ...structuredClone(tool), strict: false })),
    tool_choice: { type: 'function', name: 'get_weather' },
    reasoning: { effort: 'none' },
    include: ['reasoning.encrypted_content'],
  });
  await ask('openai', 'gpt-5', base, ['--api', 'responses', '--messages', failedCallMessages('responses-failed', 'call_1'),
                                      '--tools', twoToolsFile, '--tool-choice', 'get_weather', '--thinking', 'off', retry]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});

test('openai: majordomo sends text beside a call, a failed call, a named tool and thinking off as the official SDK does', testOptions, async () => {
  const pathPrefix = prefix();
  const base = `${origin}${pathPrefix}/v1`;
  const client = new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs });
  await client.chat.completions.create({
    model: 'gpt-5',
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: saying,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: failure },
      { role: 'user', content: retry },
    ],
    tools: [weather, clock].map((tool) => ({ type: 'function', function: structuredClone(tool) })),
    tool_choice: { type: 'function', function: { name: 'get_weather' } },
    reasoning_effort: 'none',
  });
  await ask('openai', 'gpt-5', base, ['--messages', failedCallMessages('openai-failed', 'call_1'), '--tools', twoToolsFile,
                                      '--tool-choice', 'get_weather', '--thinking', 'off', retry]);
  const [fromSdk, fromMajordomo] = await recordedBodies(pathPrefix);
  assertSameBody(fromMajordomo, fromSdk);
});
