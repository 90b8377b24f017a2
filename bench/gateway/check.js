// Checks one answer a target gave (saved by run.sh with curl) against the harness's expected text before any timing.
//   node check.js json|stream ANSWER_FILE EXPECTED_TEXT_FILE
// A gateway that answered with an error, a truncated stream or altered text would make its numbers meaningless.
'use strict';
const fs = require('fs');
const [mode, answerFile, expectedFile] = process.argv.slice(2);
const answer = fs.readFileSync(answerFile, 'utf8');
const expected = fs.readFileSync(expectedFile, 'utf8');
let text = '';
let usage = null;
if (mode === 'json') {
  const body = JSON.parse(answer);
  text = body.choices[0].message.content;
  usage = body.usage;
} else {
  // SSE: every "data:" line but [DONE] is a chunk; the text is the concatenated content deltas.
  let done = false;
  for (const line of answer.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') { done = true; continue; }
    const chunk = JSON.parse(data);
    if (chunk.usage) usage = chunk.usage;
    for (const choice of chunk.choices || []) text += (choice.delta && choice.delta.content) || '';
  }
  if (!done) { console.error('check: the stream has no [DONE]'); process.exit(1); }
}
if (text !== expected) {
  console.error(`check: the text differs from ${expectedFile} (${text.length} against ${expected.length} chars)`);
  process.exit(1);
}
if (!usage || !usage.total_tokens) { console.error('check: no usage in the answer'); process.exit(1); }
console.log(`check: ${mode} ok, ${text.length} chars, ${usage.total_tokens} tokens`);
