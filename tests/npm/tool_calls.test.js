// Tool calls through the official SDKs and through `majordomo ask`: the same fixtures give the same calls, and the fake's own calls parse (request_bodies.test.js compares the bodies).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { CohereClientV2 } from 'cohere-ai';

import { apiKey, origin, replies, testOptions, timeoutMs } from './fake_env.js';

const run = promisify(execFile);
// The majordomo CLI of this build (ctest sets it); without it these checks cannot run.
const cli = process.env.MAJORDOMO_CLI;
assert.ok(cli, 'MAJORDOMO_CLI is not set: ctest passes the build\'s majordomo binary');

const prompt = 'What is the weather in Paris?';
const weather = {
  name: 'get_weather',
  description: 'The current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } }, required: ['city'] },
};
const work = mkdtempSync(path.join(tmpdir(), 'majordomo-tools-'));
const toolsFile = path.join(work, 'tools.json');
writeFileSync(toolsFile, JSON.stringify([weather]));

// A path prefix of this check's own, so that a queued reply reaches only its requests (the SDK
// checks of the other files share the fake).
function prefix() {
  return `/tools-${randomUUID()}`;
}

async function queue(fixture, pathPrefix) {
  const response = await fetch(`${origin}/_fake/responses`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ fixture, path_contains: `${pathPrefix}/` }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  assert.equal(response.status, 200, `POST /_fake/responses refused ${fixture}: ${await response.text()}`);
}

// `majordomo ask … --output json` and its answer.
async function ask(provider, args) {
  const { stdout } = await run(cli, ['ask', '--provider', provider.id, '--model', provider.model, '--api-key', apiKey,
                                     '--timeout', '20', ...args], { timeout: 30_000 });
  return JSON.parse(stdout);
}

// A call cut off by the output cap has no arguments to compare: each client keeps its own partial form.
function callsOf(answer) {
  return answer.tool_calls.map((call) => ({ id: call.id, name: call.name,
                                             arguments: call.problem === 'cut_off' ? undefined : call.arguments }));
}

// Each provider: where its SDK and the CLI point, and how its SDK gives the calls of an answer.
const providers = {
  openai: {
    id: 'openai', model: 'gpt-4o', suffix: '/v1',
    tools: [{ type: 'function', function: structuredClone(weather) }],
    sdk: (base) => new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs }),
    async calls(client, stream, extra = {}) {
      const params = { model: this.model, messages: [{ role: 'user', content: prompt }], tools: this.tools, ...extra };
      // The SDK's own accumulating helper assembles a streamed answer's calls.
      const completion = stream ? await client.chat.completions.stream(params).finalChatCompletion()
                                : await client.chat.completions.create(params);
      const message = completion.choices[0].message;
      return {
        message,
        calls: (message.tool_calls ?? []).map((call) => ({
          id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments),
        })),
      };
    },
    // The next request after the answer: its tool call answered.
    async answerResult(client, message, call) {
      const completion = await client.chat.completions.create({
        model: this.model, tools: this.tools,
        messages: [{ role: 'user', content: prompt }, message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c":21}' }],
      });
      return completion.choices[0].message.content;
    },
    fixtures: ['openai/chat_completion_tool_calls.json', 'openai/stream_parallel_tool_calls.sse'],
  },
  deepseek: {
    id: 'deepseek', model: 'deepseek-flash', suffix: '',
    tools: [{ type: 'function', function: structuredClone(weather) }],
    sdk: (base) => new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs }),
    calls(client, stream, extra) { return providers.openai.calls.call(this, client, stream, extra); },
    answerResult(client, message, call) { return providers.openai.answerResult.call(this, client, message, call); },
    fixtures: [],
  },
  cohere: {
    id: 'cohere', model: 'command-a-03-2025', suffix: '',
    tools: [{ type: 'function', function: structuredClone(weather) }],
    sdk: (base) => new CohereClientV2({ token: apiKey, baseUrl: base, maxRetries: 0, timeoutInSeconds: timeoutMs / 1000 }),
    async calls(client, stream) {
      const params = { model: this.model, messages: [{ role: 'user', content: prompt }], tools: this.tools };
      if (!stream) {
        const response = await client.chat(params);
        return {
          message: response.message,
          calls: (response.message.toolCalls ?? []).map((call) => ({
            id: call.id, name: call.function.name, arguments: JSON.parse(call.function.arguments),
          })),
        };
      }
      // The SDK hands out typed events; the calls are put together from them as its docs show.
      const calls = [];
      let plan = '';
      for await (const event of await client.chatStream(params)) {
        if (event.type === 'tool-plan-delta') plan += event.delta.message.toolPlan;
        if (event.type === 'tool-call-start') {
          const call = event.delta.message.toolCalls;
          calls.push({ id: call.id, name: call.function.name, text: call.function.arguments ?? '' });
        }
        if (event.type === 'tool-call-delta') calls[calls.length - 1].text += event.delta.message.toolCalls.function.arguments;
      }
      return {
        message: { role: 'assistant', toolPlan: plan, toolCalls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.text } })) },
        calls: calls.map((c) => ({ id: c.id, name: c.name, arguments: JSON.parse(c.text) })),
      };
    },
    async answerResult(client, message, call) {
      const response = await client.chat({
        model: this.model, tools: this.tools,
        messages: [{ role: 'user', content: prompt }, { role: 'assistant', toolPlan: message.toolPlan, toolCalls: message.toolCalls },
                   { role: 'tool', toolCallId: call.id, content: '{"temp_c":21}' }],
      });
      return response.message.content?.[0]?.text;
    },
    fixtures: ['cohere/chat_tool_calls_thinking.json', 'cohere/chat_stream_tool_plan_and_calls.sse'],
  },
  anthropic: {
    id: 'anthropic', model: 'claude-haiku-4-5', suffix: '',
    tools: [{ name: weather.name, description: weather.description, input_schema: structuredClone(weather.parameters) }],
    sdk: (base) => new Anthropic({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs }),
    async calls(client, stream) {
      const params = { model: this.model, max_tokens: 1024, messages: [{ role: 'user', content: prompt }], tools: this.tools };
      // The SDK's stream helper assembles each tool_use block's input from its JSON pieces.
      const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
      return {
        message,
        calls: message.content.filter((block) => block.type === 'tool_use')
          .map((block) => ({ id: block.id, name: block.name, arguments: message.stop_reason === 'max_tokens' ? undefined : block.input })),
      };
    },
    async answerResult(client, message, call) {
      const answer = await client.messages.create({
        model: this.model, max_tokens: 1024, tools: this.tools,
        messages: [{ role: 'user', content: prompt }, { role: 'assistant', content: message.content },
                   { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '{"temp_c":21}' }] }],
      });
      return answer.content.filter((block) => block.type === 'text').map((block) => block.text).join('');
    },
    fixtures: ['anthropic/message_text_and_tool_use.json', 'anthropic/stream_tool_use_padded.sse',
               'anthropic/stream_max_tokens_partial_tool_input.sse'],
  },
  gemini: {
    id: 'gemini', model: 'gemini-2.5-flash', suffix: '',
    // A copy: the SDK may rewrite the declarations it is given.
    tools: [{ functionDeclarations: [structuredClone(weather)] }],
    sdk: (base) => new GoogleGenAI({ apiKey, httpOptions: { baseUrl: base, apiVersion: 'v1beta', timeout: timeoutMs } }),
    async calls(client, stream) {
      const params = { model: this.model, contents: prompt, config: { tools: this.tools } };
      const calls = [];
      let content;
      if (stream) {
        for await (const chunk of await client.models.generateContentStream(params)) {
          calls.push(...(chunk.functionCalls ?? []));
          content ??= chunk.candidates?.[0]?.content;
        }
      } else {
        const response = await client.models.generateContent(params);
        calls.push(...(response.functionCalls ?? []));
        content = response.candidates?.[0]?.content;
      }
      // Gemini may give no call id; majordomo then reports "".
      return { message: content, calls: calls.map((call) => ({ id: call.id ?? '', name: call.name, arguments: call.args ?? {} })) };
    },
    async answerResult(client, message, call) {
      const response = await client.models.generateContent({
        model: this.model, config: { tools: this.tools },
        contents: [{ role: 'user', parts: [{ text: prompt }] }, message,
                   { role: 'user', parts: [{ functionResponse: { name: call.name, response: { temp_c: 21 } } }] }],
      });
      return response.text;
    },
    fixtures: ['gemini/stream_function_call_thought_signature.sse'],
  },
  'openai-responses': {
    id: 'openai', model: 'gpt-5', suffix: '/v1', cliArgs: ['--api', 'responses'],
    tools: [{ type: 'function', ...structuredClone(weather), strict: false }],
    sdk: (base) => new OpenAI({ apiKey, baseURL: base, maxRetries: 0, timeout: timeoutMs }),
    async calls(client, stream) {
      const params = { model: this.model, input: prompt, tools: this.tools, store: false };
      const response = stream ? await client.responses.stream(params).finalResponse() : await client.responses.create(params);
      return {
        message: response.output,
        calls: response.output.filter((item) => item.type === 'function_call')
          .map((item) => ({ id: item.call_id, name: item.name, arguments: JSON.parse(item.arguments) })),
      };
    },
    async answerResult(client, output, call) {
      const response = await client.responses.create({
        model: this.model, tools: this.tools, store: false,
        input: [{ role: 'user', content: prompt }, ...output.filter((item) => item.type === 'function_call'),
                { type: 'function_call_output', call_id: call.id, output: '{"temp_c":21}' }],
      });
      return response.output_text;
    },
    fixtures: ['openai/responses_stream_function_call.sse'],
  },
};

for (const [label, provider] of Object.entries(providers)) {
  if (replies === 'fixtures') {
    for (const fixture of provider.fixtures) {
      const stream = fixture.endsWith('.sse');
      test(`${label} ${fixture}: the official SDK and majordomo ask --output json give the same calls`, testOptions, async () => {
        const pathPrefix = prefix();
        const base = `${origin}${pathPrefix}${provider.suffix}`;
        await queue(fixture, pathPrefix);
        const fromSdk = (await provider.calls(provider.sdk(base), stream)).calls;
        await queue(fixture, pathPrefix);
        const answer = await ask(provider, [...(provider.cliArgs ?? []), '--base-url', base, '--tools', toolsFile, '--output', 'json',
                                            ...(stream ? ['--stream'] : []), prompt]);
        assert.ok(fromSdk.length > 0, 'the fixture holds calls');
        assert.deepEqual(callsOf(answer), fromSdk);
        assert.equal(answer.stop_reason, fixture.includes('max_tokens') ? 'max_tokens' : 'tool_use');
      });
    }
  }

  for (const stream of [false, true]) {
    test(`${label} ${stream ? 'stream' : 'JSON'}: the official SDK parses the fake's tool call and continues after the result`,
         testOptions, async () => {
      const pathPrefix = prefix();
      const client = provider.sdk(`${origin}${pathPrefix}${provider.suffix}`);
      const { message, calls } = await provider.calls(client, stream);
      assert.equal(calls.length, 1);
      assert.equal(calls[0].name, 'get_weather');
      assert.equal(typeof calls[0].arguments.city, 'string');
      const text = await provider.answerResult(client, message, calls[0]);
      assert.ok(typeof text === 'string' && text.length > 0, 'no text after the tool result');
    });
  }
}
