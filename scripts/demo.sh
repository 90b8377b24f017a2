#!/usr/bin/env bash
# The main job: builds majordomo, starts the built-in fake provider server on loopback, and sends
# requests through `majordomo ask` with a custom base URL, an instance header and a per-request
# header, then shows what arrived at the server; last, the gateway (majordomo serve) in front of it.
# No API key or network needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh release majordomo_cli majordomo-fake openai anthropic gemini deepseek cohere >/dev/null
bin="$PWD/build/release/bin"

source scripts/fake_child.sh
begin_work_dir

"$bin/majordomo-fake" --port 0 --port-file "$work/port" >"$work/fake.log" 2>&1 &
fake_pid=$!
# The fake server writes the port file atomically once it listens.
wait_for_port_file "$work/port" || {
  [ $? -eq 2 ] && echo "majordomo-fake did not start" >&2
  cat "$work/fake.log"
  exit 1
}
port="$(cat "$work/port")"
base="http://127.0.0.1:$port/v1"

step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }
ask=("$bin/majordomo" ask --provider openai --model gpt-4o --base-url "$base" --api-key sk-demo-not-a-real-key
     --header 'X-Majordomo-Feature: from-instance' --header 'X-Majordomo-User: demo'
     --request-header 'x-majordomo-feature: from-request')

step "plugins found" "majordomo plugins"
"$bin/majordomo" plugins

step "dry run: the fully resolved request, key redacted, nothing sent" "majordomo ask --dry-run ..."
"${ask[@]}" --dry-run "Say hello"

step "a request through the fake server" "majordomo ask --base-url $base --header ... --request-header ... 'Say hello'"
"${ask[@]}" "Say hello"

step "the same, streamed" "majordomo ask --stream ..."
"${ask[@]}" --stream "Tell me about the weather"

step "machine-readable output" "majordomo ask --output json ..."
"${ask[@]}" --output json "Say hello" | jq .

step "what arrived at the server (one X-Majordomo-Feature, the per-request value)" "curl http://127.0.0.1:$port/_fake/requests"
curl -fsS "http://127.0.0.1:$port/_fake/requests" |
  jq -r '.[] | "\(.method) \(.uri)", (.headers[] | "  \(.[0]): \(.[1])"), ""'

step "a typed error: the server answers 429" "majordomo ask --output json ..."
curl -fsS -X POST "http://127.0.0.1:$port/_fake/responses" \
  -d '{"status":429,"headers":[["retry-after","1"]],"body":"{\"error\":{\"message\":\"Rate limit reached (demo)\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}"}' >/dev/null
set +e
"${ask[@]}" --output json "Say hello" | jq .
status=${PIPESTATUS[0]}
set -e
echo "exit code: $status (non-zero on failure)"
[ "$status" -ne 0 ]

step "five providers, one command shape (each through its own protocol on the fake server)" \
  "majordomo ask --provider P --model M --base-url http://127.0.0.1:$port/gateway/P ..."
origin="http://127.0.0.1:$port"
for member in openai:gpt-4o:/v1 anthropic:claude-haiku-4-5: gemini:gemini-2.5-flash: \
              deepseek:deepseek-flash: cohere:command-a-03-2025:; do
  IFS=: read -r provider model suffix <<<"$member"
  "$bin/majordomo" ask --provider "$provider" --model "$model" --api-key demo-not-a-real-key \
    --base-url "$origin/gateway/$provider$suffix" --header 'X-Majordomo-Team: demo' --output json "Say hello" |
    jq -c '{provider, model, stop_reason, usage: {input: .usage.input_tokens, output: .usage.output_tokens}, cost: .cost.total, content: (.content[0:48])}'
done

step "structured output: the answer is checked against the caller's schema" "majordomo ask --schema city.json ..."
cat >"$work/city.json" <<'JSON'
{"type":"object","properties":{"city":{"type":"string"},"population":{"type":"integer"}},
 "required":["city","population"],"additionalProperties":false}
JSON
"$bin/majordomo" ask --provider gemini --model gemini-2.5-flash --api-key demo-not-a-real-key \
  --base-url "$origin" --schema "$work/city.json" "Which city has the Golden Gate Bridge?"

step "tools: the model calls a function on every provider, and the call is checked against its schema" \
  "majordomo ask --tools weather.json --output json ..."
cat >"$work/weather.json" <<'JSON'
[{"name":"get_weather","description":"The current weather in a city",
  "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]
JSON
for provider in openai:gpt-4o:/v1 anthropic:claude-haiku-4-5: gemini:gemini-2.5-flash: deepseek:deepseek-flash: cohere:command-a-03-2025:; do
  IFS=: read -r name model suffix <<<"$provider"
  "$bin/majordomo" ask --provider "$name" --model "$model" --api-key demo-not-a-real-key \
    --base-url "$origin$suffix" --tools "$work/weather.json" --output json "What is the weather in Paris?" |
    jq -c --arg p "$name" '{provider: $p, stop_reason, tool_calls: [.tool_calls[] | {name, arguments, problem}]}'
done
cat >"$work/conversation.json" <<'JSON'
[{"role":"user","content":"What is the weather in Paris?"},
 {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]},
 {"role":"tool","tool_call_id":"call_1","content":{"temp_c":21,"sky":"clear"}}]
JSON
echo "... and after the tool's result, the answer:"
"$bin/majordomo" ask --provider openai --model gpt-4o --api-key demo-not-a-real-key --base-url "$origin/v1" \
  --tools "$work/weather.json" --messages "$work/conversation.json"

step "a cascade through one gateway: Anthropic is overloaded, OpenAI answers" \
  "majordomo ask --cascade anthropic:claude-haiku-4-5,openai:gpt-4o --base-url $origin/gateway ..."
curl -fsS -X POST "$origin/_fake/responses" \
  -d '{"status":529,"path_contains":"/v1/messages","body":"{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded (demo)\"}}"}' >/dev/null
"$bin/majordomo" ask --cascade anthropic:claude-haiku-4-5,openai:gpt-4o --api-key demo-not-a-real-key \
  --base-url "$origin/gateway" --header 'X-Majordomo-Team: demo' --log "sqlite:$work/calls.db" \
  --output json "Say hello" |
  jq -c '{served_by, failed_attempts, content: (.content[0:48])}'

step "every call recorded: a failing one too, then the call log" "majordomo ask --log sqlite:calls.db ...; majordomo logs --db sqlite:calls.db"
curl -fsS -X POST "$origin/_fake/responses" -d '{"status":401,"fixture":"","body":"{\"error\":{\"message\":\"Incorrect API key provided (demo)\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}"}' >/dev/null
"$bin/majordomo" ask --provider openai --model gpt-4o --api-key demo-not-a-real-key --base-url "$origin/v1" \
  --request-header 'X-Majordomo-Feature: demo-log' --log "sqlite:$work/calls.db" "Say hello" || true
"$bin/majordomo" logs --db "sqlite:$work/calls.db" --last 5
step "the gateway: any OpenAI or Anthropic SDK reaches every provider through majordomo serve" \
  "majordomo serve --config gateway.json; curl \$gateway/v1/chat/completions -d '{\"model\":\"anthropic/claude-haiku-4-5\",...}'"
demo_key="mjk-demo-not-a-real-key"
cat >"$work/gateway.json" <<JSON
{"listen": "127.0.0.1:0", "access_log": "$work/gateway-access.log",
 "providers": {"openai": {"base_url": "$origin/v1", "api_key": "sk-demo-not-a-real-key"},
               "anthropic": {"base_url": "$origin", "api_key": "sk-ant-demo-not-a-real-key"}},
 "gateway_keys": [{"name": "demo", "sha256": "$(printf %s "$demo_key" | sha256sum | cut -d' ' -f1)"}],
 "log": "sqlite:$work/calls.db"}
JSON
"$bin/majordomo" serve --config "$work/gateway.json" --port-file "$work/gateway.port" 2>"$work/gateway.err" &
gateway_pid=$!
trap 'kill "$gateway_pid" 2>/dev/null || true; stop_fake_and_remove_work_dir' EXIT
saved_fake_pid="$fake_pid"; fake_pid="$gateway_pid"  # wait_for_port_file watches $fake_pid
wait_for_port_file "$work/gateway.port" 600 || { cat "$work/gateway.err"; exit 1; }
fake_pid="$saved_fake_pid"
gateway="http://127.0.0.1:$(cat "$work/gateway.port")"
echo "OpenAI's shape in, Anthropic's API upstream:"
curl -fsS "$gateway/v1/chat/completions" -H "Authorization: Bearer $demo_key" -H 'Content-Type: application/json' \
  -d '{"model":"anthropic/claude-haiku-4-5","messages":[{"role":"user","content":"Say hello"}]}' |
  jq -c '{object, model, content: .choices[0].message.content, finish_reason: .choices[0].finish_reason, usage}'
echo "Anthropic's shape in, streamed, OpenAI upstream (its events, counted):"
curl -fsSN "$gateway/v1/messages" -H "x-api-key: $demo_key" -H 'Content-Type: application/json' \
  -d '{"model":"openai/gpt-4o","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello"}]}' |
  grep '^event:' | uniq -c
echo "without a key:"
curl -sS "$gateway/v1/chat/completions" -H 'Content-Type: application/json' -d '{}' | jq -c .
kill -TERM "$gateway_pid"
wait "$gateway_pid"
echo "majordomo serve drained and exited 0 on SIGTERM; its calls are in the same log:"
"$bin/majordomo" logs --db "sqlite:$work/calls.db" --last 2

echo
echo "demo finished"
