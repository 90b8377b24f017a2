#!/usr/bin/env bash
# Builds the fuzz seed corpora from the recorded provider fixtures (and the JSON Schema test suite), framed as each target reads its input.
#   fuzz/make_seeds.sh FIXTURES_DIR OUT_DIR SOURCE_DIR
set -euo pipefail
fixtures="$1" out="$2" source="$3"
rm -rf "$out"
mkdir -p "$out"
for target in sse_decoder http_response json_value schema catalog headers url_proxy \
              plugin_openai plugin_anthropic plugin_gemini plugin_deepseek plugin_cohere gateway_requests \
              gateway_connection; do
  mkdir -p "$out/$target"
done
[ -d "$fixtures" ] || { echo "make_seeds: no fixtures at $fixtures: seeds are the built-in ones only" >&2; }

# One byte of value $1 (printf's \x needs literal hex digits).
byte() { printf "\\x$(printf %02x "$1")"; }

n=0
for file in "$fixtures"/*/*.json "$fixtures"/*/*.sse; do
  [ -f "$file" ] || continue
  n=$((n + 1))
  provider="$(basename "$(dirname "$file")")"
  name="$provider-$(basename "$file")"
  length="$(stat -c %s "$file")"
  case "$file" in
    *.sse) type=text/event-stream stream=1 ;;
    *) type=application/json stream=0 ;;
  esac
  status=200 status_bits=0
  case "$(basename "$file")" in
    *error_400*) status=400 status_bits=2 ;;
    *error_429*) status=429 status_bits=4 ;;
    *error_500*) status=500 status_bits=6 ;;
  esac
  # SSE decoder: no split, then the stream; and the same cut into three reads.
  if [ "$stream" = 1 ]; then
    { printf '\x00'; cat "$file"; } > "$out/sse_decoder/$name"
    { printf '\x02\x00\x07\x00\x41'; cat "$file"; } > "$out/sse_decoder/$name.split"
  fi
  # HTTP response: the fixture behind a head, with Content-Length, chunked and until-close framing.
  { printf '\x00'; byte "$stream"; printf 'HTTP/1.1 %s X\r\nContent-Type: %s\r\nContent-Length: %s\r\n\r\n' "$status" "$type" "$length"; cat "$file"; } \
    > "$out/http_response/$name.length"
  { printf '\x00'; byte "$stream"; printf 'HTTP/1.1 %s X\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n' "$status" "$type" "$length"; cat "$file"; printf '\r\n0\r\n\r\n'; } \
    > "$out/http_response/$name.chunked"
  { printf '\x00'; byte "$stream"; printf 'HTTP/1.1 %s X\r\nContent-Type: %s\r\nConnection: close\r\n\r\n' "$status" "$type"; cat "$file"; } \
    > "$out/http_response/$name.close"
  # Plugin decoders: the mode byte (stream bit, status bits; Content-Length framing, and chunked).
  if [ -d "$out/plugin_$provider" ]; then
    mode=$((stream | status_bits))
    { printf '\x00'; byte "$mode"; cat "$file"; } > "$out/plugin_$provider/$name"
    { printf '\x01\x00\x10'; byte "$((mode | 8))"; cat "$file"; } > "$out/plugin_$provider/$name.chunked"
    # Every fixture also as the answer to a tool request (0.5), the Responses ones through that API.
    case "$(basename "$file")" in
      responses*) { printf '\x00'; byte "$((mode | 32))"; cat "$file"; } > "$out/plugin_$provider/$name.responses"
                  { printf '\x00'; byte "$((mode | 32 | 128))"; cat "$file"; } > "$out/plugin_$provider/$name.responses.tools" ;;
      *) { printf '\x00'; byte "$((mode | 128))"; cat "$file"; } > "$out/plugin_$provider/$name.tools" ;;
    esac
  fi
  # JsonValue: every JSON fixture.
  case "$file" in *.json) cp "$file" "$out/json_value/$name" ;; esac
done

# Schema checker: schema NUL answer, from the draft-7 test suite's pattern, patternProperties, ref and format files.
suite=/usr/share/json-schema-test-suite/tests/draft7
if command -v jq >/dev/null && [ -d "$suite" ]; then
  for keyword in pattern patternProperties additionalProperties ref properties anyOf if-then-else optional/format/date; do
    [ -f "$suite/$keyword.json" ] || continue
    count="$(jq length "$suite/$keyword.json")"
    for ((g = 0; g < count; g++)); do
      { jq -c ".[$g].schema" "$suite/$keyword.json" | tr -d '\n'; printf '\x00'; jq -c ".[$g].tests[0].data" "$suite/$keyword.json"; } \
        > "$out/schema/$(echo "$keyword" | tr / _)-$g"
    done
  done
fi
printf '{"type":"object","properties":{"w":{"type":"string","pattern":"^(a|b)*$"}}}\0{"w":"abba"}' > "$out/schema/group"

# Catalog files: the examples of the catalog tests and docs are JSON objects; one small one here.
printf '{"models":{"openai":[{"id":"gpt-x","input_usd_per_mtok":1,"output_usd_per_mtok":2}]},"aliases":{"fast":["openai:gpt-x"]}}' \
  > "$out/catalog/small"
awk '/^```json/ { inside = 1; next } /^```/ { if (inside) exit } inside' "$source/docs/catalog.md" > "$out/catalog/docs-example"

# Headers: name NUL value pairs.
printf 'Authorization\0Bearer sk-secret-value\0X-Custom\0ok\0' > "$out/headers/auth"
printf 'x-api-key\0abc\r\ndef\0Content-Length\05\0' > "$out/headers/bad"

# URLs: base URL NUL proxy NUL no_proxy.
printf 'http://127.0.0.1:8080/v1\0http://user:pass@127.0.0.1:3128\0localhost,.example.com' > "$out/url_proxy/basic"
printf 'https://[::1]:443/v1?key=abc\0http://[::1]\010.0.0.0/8,*' > "$out/url_proxy/ipv6"
# Gateway request bodies: OpenAI Chat and Anthropic Messages requests as the official SDKs send them.
g="$out/gateway_requests"
printf '%s' '{"model":"openai/gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],"temperature":0.2,"max_completion_tokens":64,"stream":true,"stream_options":{"include_usage":true}}' > "$g/openai-text"
printf '%s' '{"model":"fast","messages":[{"role":"user","content":[{"type":"text","text":"What is it?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"auto"}}]},{"role":"assistant","content":null,"reasoning_content":"r","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"sunny"}]}],"tools":[{"type":"function","function":{"name":"get","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}}],"tool_choice":{"type":"function","function":{"name":"get"}},"parallel_tool_calls":false,"response_format":{"type":"json_schema","json_schema":{"name":"out","schema":{"type":"object"},"strict":true}},"reasoning_effort":"low","n":1,"user":"u"}' > "$g/openai-tools"
printf '%s' '{"model":"anthropic/claude-sonnet-4-5","max_tokens":1024,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Hi"}],"stream":true,"metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":2048}}' > "$g/anthropic-text"
printf '%s' '{"model":"claude","max_tokens":512,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},{"type":"text","text":"Weather?"}]},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"},{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sunny"},{"type":"image","source":{"type":"url","url":"https://x.test/a.png"}}],"is_error":false},{"type":"text","text":"and?"}]}],"tools":[{"name":"get","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"output_config":{"effort":"high"},"temperature":0.5}' > "$g/anthropic-tools"

# Gateway connections: what clients send, pipelined, with both body framings and an expectation.
c="$out/gateway_connection"
printf 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"model":1}GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n' > "$c/pipelined"
printf 'POST /v1/messages HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5;x=y\r\nhello\r\n0\r\nTrailer: t\r\n\r\nHEAD /readyz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' > "$c/chunked"
printf '\r\nGET /metrics HTTP/1.1\nHost: a\nConnection: close\n\n' > "$c/bare-lf"

echo "make_seeds: $n fixtures -> $out"
