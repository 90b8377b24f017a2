#!/usr/bin/env bash
# Two builds of `majordomo serve` side by side (issue 12): gateway CPU per request, interleaved 2 s wrk runs, order swapped every pair.
#   bench/gateway/ab_builds.sh MODE C PAIRS BIN_A BIN_B     # e.g. json 32 6 /old/build/release/bin/majordomo build/release/bin/majordomo
# Both gateways run at once on GW_CPU (1), in front of the harness's nginx (UP_PORT 18090, started if none answers);
# wrk runs on LOAD_CPU (0). A change in the machine's speed during the runs hits both builds alike, so the per-pair
# ratio B/A is the figure to read; the medians are printed at the end. Each build finds its own plugins (RUNPATH).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HARNESS="${HARNESS:-$(cd "$HERE/../../../shared/bench" && pwd)}"
[ $# -eq 5 ] || { echo "usage: ab_builds.sh json|stream C PAIRS BIN_A BIN_B" >&2; exit 2; }
MODE="$1"; C="$2"; PAIRS="$3"; A="$4"; B="$5"
UP_PORT="${UP_PORT:-18090}"; GW_CPU="${GW_CPU:-1}"; LOAD_CPU="${LOAD_CPU:-0}"
export BENCH_PORT="$UP_PORT" BENCH_NGINX_PREFIX="${BENCH_NGINX_PREFIX:-/tmp/mj-gateway-bench-nginx}"
WORK="$(mktemp -d /tmp/mj-gateway-ab.XXXXXX)"
PA=""; PB=""; NGINX_STARTED=""
cleanup() {
  for pid in $PA $PB; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$NGINX_STARTED" ] && (cd "$HARNESS" && ./serve.sh stop >/dev/null)
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$UP_PORT/v1/chat/completions"; then
  (cd "$HARNESS" && ./serve.sh start >/dev/null)
  NGINX_STARTED=1
fi
KEY=mj-gateway-bench-key-0001
SHA="$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)"
UP="http://127.0.0.1:$UP_PORT/v1"; STREAM=""
[ "$MODE" = stream ] && UP="http://127.0.0.1:$UP_PORT/stream/v1" && STREAM=',"stream":true,"stream_options":{"include_usage":true}'
cat > "$WORK/config.json" <<JSON
{"listen": "127.0.0.1:0", "access_log": "off",
 "providers": {"openai": {"base_url": "$UP", "api_key": "sk-bench-0000000000000000", "max_attempts": 1}},
 "gateway_keys": [{"name": "bench", "sha256": "$SHA"}]}
JSON
printf '%s' "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for systems programmers.\"},{\"role\":\"user\",\"content\":\"Explain in two short paragraphs why keeping one HTTP connection alive matters for a client that streams tokens from a language model, and what a careful client should avoid doing per chunk.\"}],\"temperature\":0.7,\"max_tokens\":512$STREAM}" > "$WORK/body.json"

start() {  # BIN PORTFILE: prints the PID
  taskset -c "$GW_CPU" "$1" serve --config "$WORK/config.json" --port-file "$2" > /dev/null 2>&1 &
  echo $!
}
PA="$(start "$A" "$WORK/a.port")"; PB="$(start "$B" "$WORK/b.port")"
for _ in $(seq 100); do [ -s "$WORK/a.port" ] && [ -s "$WORK/b.port" ] && break; sleep 0.1; done
[ -s "$WORK/a.port" ] && [ -s "$WORK/b.port" ] || { echo "ab_builds.sh: a gateway did not start" >&2; exit 1; }
UA="http://127.0.0.1:$(cat "$WORK/a.port")/v1/chat/completions"; UB="http://127.0.0.1:$(cat "$WORK/b.port")/v1/chat/completions"

run() {  # PID URL: µs of gateway CPU per request over one 2 s run
  local t0 t1 requests
  t0="$(awk '{print $14+$15}' "/proc/$1/stat")"
  BENCH_BODY_FILE="$WORK/body.json" BENCH_HEADERS="Authorization: Bearer $KEY" \
    taskset -c "$LOAD_CPU" wrk -t1 -c"$C" -d2s -s "$HERE/chat.lua" "$2" > "$WORK/wrk.out" 2>&1
  t1="$(awk '{print $14+$15}' "/proc/$1/stat")"
  grep -q '"non2xx":0' "$WORK/wrk.out" || { echo "ab_builds.sh: non-2xx answers" >&2; exit 1; }
  requests="$(awk '/requests in/{print $1}' "$WORK/wrk.out")"
  awk -v t=$((t1 - t0)) -v r="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.1f\n", t/hz*1e6/r}'
}
run "$PA" "$UA" > /dev/null; run "$PB" "$UB" > /dev/null  # warm-up
: > "$WORK/a"; : > "$WORK/b"
for i in $(seq "$PAIRS"); do
  if [ $((i % 2)) = 1 ]; then a="$(run "$PA" "$UA")"; b="$(run "$PB" "$UB")"; else b="$(run "$PB" "$UB")"; a="$(run "$PA" "$UA")"; fi
  echo "$a" >> "$WORK/a"; echo "$b" >> "$WORK/b"
  echo "pair $i: A $a  B $b  B/A $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.3f", b/a}')"
done
median() { sort -n "$1" | awk '{v[NR]=$1} END{print (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}'; }
echo "$MODE c=$C medians: A $(median "$WORK/a")  B $(median "$WORK/b") µs of gateway CPU per request"
