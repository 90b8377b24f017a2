// Load for `majordomo serve`: N streamed or JSON chat requests at a given concurrency; prints a JSON summary, exits 1 on any error.
//   node load_client.mjs stream|json ORIGIN KEY COUNT CONCURRENCY
const [mode, origin, key, countText, concurrencyText] = process.argv.slice(2);
const count = Number(countText);
const concurrency = Number(concurrencyText);
if (!['stream', 'json'].includes(mode) || !/^http:\/\/127\.0\.0\.1:\d+$/.test(origin) || !(count > 0) || !(concurrency > 0)) {
  console.error('usage: node load_client.mjs stream|json http://127.0.0.1:PORT KEY COUNT CONCURRENCY');
  process.exit(2);
}
const models = ['openai/gpt-4o', 'anthropic/claude-haiku-4-5', 'gemini/gemini-2.5-flash', 'deepseek/deepseek-chat', 'cohere/command-a-03-2025'];
const errors = [];
let done = 0;

async function one(index) {
  const stream = mode === 'stream';
  const body = { model: models[index % models.length], messages: [{ role: 'user', content: `Request ${index}.` }] };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  const response = await fetch(`${origin}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  if (stream) {
    if (!text.trimEnd().endsWith('data: [DONE]')) throw new Error(`stream did not end with [DONE]: ${text.slice(-200)}`);
  } else if (!(JSON.parse(text).choices[0].message.content.length > 0)) {
    throw new Error(`empty answer: ${text.slice(0, 200)}`);
  }
}

// `concurrency` workers take the next index until `count` are done; every request is awaited.
let next = 0;
const started = process.hrtime.bigint();
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
  while (next < count) {
    const index = next++;
    try {
      await one(index);
    } catch (error) {
      errors.push(String(error.message ?? error));
    }
    done += 1;
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ mode, count, concurrency, done, errors: errors.length, seconds: Number(seconds.toFixed(2)),
                             per_second: Math.round(count / seconds), first_errors: errors.slice(0, 3) }));
process.exit(errors.length === 0 && done === count ? 0 : 1);
