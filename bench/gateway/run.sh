#!/usr/bin/env bash
# The gateway benchmark (issue 12): wrk straight to the harness's canned nginx, through `majordomo serve`, through Portkey.
#   bench/gateway/run.sh            # everything; about 10 minutes on a quiet machine
# It starts its own nginx (UP_PORT, its own prefix, so another user's `serve.sh stop` cannot end it), each gateway
# in turn, and stops every process it started, by PID. Only loopback is used.
# Env:
#   RUNS (5) clean runs per cell; DURATION (5s) per wrk run; CONNS ("1 32"); MODES ("json stream");
#   TARGETS ("direct majordomo portkey"); OUT (/tmp/mj-gateway-bench/<date>);
#   MAJORDOMO (build/release/bin/majordomo of this checkout); HARNESS (../shared/bench next to the repo);
#   UP_PORT (18090) for nginx; PK_PORT (18787) for Portkey (majordomo takes any free port);
#   GW_CPU (1) the gateway's CPU; LOAD_CPU (0) wrk's CPU, which nginx (pinned to CPU 0 by its config) shares;
#   IDLE_MAX_PCT (10) foreign CPU, % of one core, above which a run is noisy and repeated;
#   IDLE_WAIT_MAX (600) seconds to wait for a quiet machine before each run; MAX_TRIES (3*RUNS) runs per cell at most.
# Needs: nginx, wrk, curl, taskset, /usr/bin/time, node, `npm ci` done in bench/gateway (for Portkey).
# Writes $OUT/runs.jsonl (one line per run), $OUT/rss.jsonl, and $OUT/summary.md (bench/gateway/summarize.js).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
HARNESS="${HARNESS:-$(cd "$REPO/../shared/bench" && pwd)}"
MAJORDOMO="${MAJORDOMO:-$REPO/build/release/bin/majordomo}"
RUNS="${RUNS:-5}"; DURATION="${DURATION:-5s}"; CONNS="${CONNS:-1 32}"; MODES="${MODES:-json stream}"
TARGETS="${TARGETS:-direct majordomo portkey}"
UP_PORT="${UP_PORT:-18090}"; PK_PORT="${PK_PORT:-18787}"
GW_CPU="${GW_CPU:-1}"; LOAD_CPU="${LOAD_CPU:-0}"
export OUT="${OUT:-/tmp/mj-gateway-bench/$(date +%F)}"
# lib.sh (the shared harness's) reads these: its nginx PID file and port are ours, not the shared default's.
export BENCH_PORT="$UP_PORT" BENCH_NGINX_PREFIX="${BENCH_NGINX_PREFIX:-/tmp/mj-gateway-bench-nginx}"
PIN_CPU=""  # lib.sh's own client pinning is not used: this script pins wrk and each gateway itself
source "$HARNESS/lib.sh"

# A key is how the gateway runs in production: the bench sends one, and the config lists its SHA-256.
GATEWAY_KEY="mj-gateway-bench-key-0001"
PROVIDER_KEY="sk-bench-0000000000000000"
WORK="$(mktemp -d /tmp/mj-gateway-bench.XXXXXX)"
mkdir -p "$OUT"
NGINX_STARTED=""
GW_PID=""

stop_gateway() {
  [ -n "$GW_PID" ] || return 0
  kill -TERM "$GW_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$GW_PID" 2>/dev/null; then echo "gateway $GW_PID ignored SIGTERM for 10 s: SIGKILL" >&2; kill -KILL "$GW_PID"; fi
  wait "$GW_PID" 2>/dev/null || true
  GW_PID=""
}
cleanup() {
  stop_gateway
  [ -n "$NGINX_STARTED" ] && (cd "$HARNESS" && ./serve.sh stop >/dev/null)
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM  # so that the EXIT trap stops what was started

for tool in nginx wrk curl taskset node; do command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing" >&2; exit 1; }; done
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
if [[ " $TARGETS " == *" majordomo "* ]] && [ ! -x "$MAJORDOMO" ]; then
  echo "run.sh: no $MAJORDOMO (scripts/build.sh release majordomo_cli openai anthropic)" >&2; exit 1
fi
PORTKEY_MAIN="$HERE/node_modules/@portkey-ai/gateway/build/start-server.js"
if [[ " $TARGETS " == *" portkey "* ]] && [ ! -f "$PORTKEY_MAIN" ]; then
  echo "run.sh: Portkey is not installed: (cd bench/gateway && npm ci --ignore-scripts)" >&2; exit 1
fi

# nginx: ours unless one already answers at this prefix and port (then it is left running at the end).
if ! curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$UP_PORT/v1/chat/completions"; then
  (cd "$HARNESS" && ./serve.sh start)
  NGINX_STARTED=1
fi
require_server

proc_ticks() { if [ -n "${1:-}" ]; then awk '{print $14+$15}' "/proc/$1/stat"; else echo 0; fi; }

# wait_until TRIES COMMAND...: polls every 0.1 s, at most TRIES times; fails if COMMAND never succeeds.
wait_until() {
  local tries="$1"; shift
  for _ in $(seq "$tries"); do "$@" && return 0; sleep 0.1; done
  return 1
}
alive() { kill -0 "$GW_PID" 2>/dev/null; }

# The request: the harness's OpenAI chat body (../shared/bench/wrk/post.lua) with the model the target wants.
write_body() {  # FILE MODEL MODE
  local stream=""
  [ "$3" = stream ] && stream=',"stream":true,"stream_options":{"include_usage":true}'
  printf '%s' "{\"model\":\"$2\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a concise assistant for systems programmers.\"},{\"role\":\"user\",\"content\":\"Explain in two short paragraphs why keeping one HTTP connection alive matters for a client that streams tokens from a language model, and what a careful client should avoid doing per chunk.\"}],\"temperature\":0.7,\"max_tokens\":512$stream}" > "$1"
}

# start_target TARGET MODE: sets URL, HEADERS, BODY and (for a gateway) GW_PID.
start_target() {
  local target="$1" mode="$2" upstream_v1
  upstream_v1="http://127.0.0.1:$UP_PORT/v1"
  [ "$mode" = stream ] && upstream_v1="http://127.0.0.1:$UP_PORT/stream/v1"
  BODY="$WORK/body-$target-$mode.json"
  case "$target" in
    direct)
      URL="$upstream_v1/chat/completions"
      HEADERS="Authorization: Bearer $PROVIDER_KEY"
      write_body "$BODY" gpt-4o "$mode" ;;
    majordomo)
      local sha; sha="$(printf '%s' "$GATEWAY_KEY" | sha256sum | cut -d' ' -f1)"
      cat > "$WORK/majordomo.json" <<EOF
{"listen": "127.0.0.1:0", "access_log": "off",
 "providers": {"openai": {"base_url": "$upstream_v1", "api_key": "$PROVIDER_KEY", "max_attempts": 1}},
 "gateway_keys": [{"name": "bench", "sha256": "$sha"}]}
EOF
      rm -f "$WORK/majordomo.port"
      taskset -c "$GW_CPU" "$MAJORDOMO" serve --config "$WORK/majordomo.json" --port-file "$WORK/majordomo.port" \
        > "$WORK/majordomo.log" 2>&1 &
      GW_PID=$!
      wait_until 100 test -s "$WORK/majordomo.port" && alive \
        || { echo "majordomo serve did not start:" >&2; cat "$WORK/majordomo.log" >&2; exit 1; }
      local port; port="$(cat "$WORK/majordomo.port")"
      wait_until 50 curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" || { echo "no /healthz on $port" >&2; exit 1; }
      URL="http://127.0.0.1:$port/v1/chat/completions"
      HEADERS="Authorization: Bearer $GATEWAY_KEY"
      write_body "$BODY" openai/gpt-4o "$mode" ;;
    portkey)
      if curl -s -o /dev/null "http://127.0.0.1:$PK_PORT/"; then echo "port $PK_PORT is taken: set PK_PORT" >&2; exit 1; fi
      # --headless: no console UI; loopback.cjs: bind 127.0.0.1 only. NODE_ENV=production as a deployment runs it.
      (cd "$HERE" && exec taskset -c "$GW_CPU" env NODE_ENV=production node -r ./loopback.cjs "$PORTKEY_MAIN" \
        --port="$PK_PORT" --headless) > "$WORK/portkey.log" 2>&1 &
      GW_PID=$!
      # GET / answers once the server listens ("AI Gateway says hey!").
      wait_until 300 curl -sf -o /dev/null "http://127.0.0.1:$PK_PORT/" && alive \
        || { echo "Portkey did not start:" >&2; cat "$WORK/portkey.log" >&2; exit 1; }
      URL="http://127.0.0.1:$PK_PORT/v1/chat/completions"
      # Portkey forwards the Authorization header to the provider as its key; the custom host is the canned nginx.
      HEADERS="Authorization: Bearer $PROVIDER_KEY|x-portkey-provider: openai|x-portkey-custom-host: $upstream_v1"
      write_body "$BODY" gpt-4o "$mode" ;;
  esac
}

# One request by curl, checked against the expected text, before anything is timed.
check_target() {  # TARGET MODE
  local args=() pair expected=short_text.txt
  [ "$2" = stream ] && expected=stream_text.txt
  IFS='|' read -ra pairs <<< "$HEADERS"
  for pair in "${pairs[@]}"; do args+=(-H "$pair"); done
  curl -sS --max-time 10 -o "$WORK/answer" -H 'Content-Type: application/json' "${args[@]}" --data-binary "@$BODY" "$URL"
  node "$HERE/check.js" "$2" "$WORK/answer" "$HARNESS/fixtures/$expected" | sed "s/^/  $1 /"
}

run_wrk() {  # C DURATION: wrk pinned to LOAD_CPU, output in $WORK/wrk.out, times in $WORK/time
  BENCH_BODY_FILE="$BODY" BENCH_HEADERS="$HEADERS" /usr/bin/time -o "$WORK/time" -f '%U %S %e' \
    taskset -c "$LOAD_CPU" wrk -t1 -c"$1" -d"$2" --latency -s "$HERE/chat.lua" "$URL" > "$WORK/wrk.out" 2>&1 \
    || { echo "wrk failed:" >&2; cat "$WORK/wrk.out" >&2; exit 1; }
}

# One timed run; appends a JSON line to runs.jsonl. Returns 1 when noisy or not all 2xx.
measure_once() {  # TARGET MODE C TRY
  wait_idle
  local b0 n0 g0 b1 n1 g1 U S E j
  b0="$(busy_ticks)"; n0="$(nginx_ticks)"; g0="$(proc_ticks "$GW_PID")"
  run_wrk "$3" "$DURATION"
  b1="$(busy_ticks)"; n1="$(nginx_ticks)"; g1="$(proc_ticks "$GW_PID")"
  read -r U S E < "$WORK/time"
  j="$(sed -n 's/^WRKJSON //p' "$WORK/wrk.out")"
  [ -n "$j" ] || { echo "no WRKJSON line:" >&2; cat "$WORK/wrk.out" >&2; exit 1; }
  jq -c -n --argjson w "$j" --arg target "$1" --arg mode "$2" --argjson c "$3" --argjson attempt "$4" \
    --argjson b $((b1 - b0)) --argjson n $((n1 - n0)) --argjson g $((g1 - g0)) --argjson hz "$CLK_TCK" \
    --argjson u "$U" --argjson s "$S" --argjson e "$E" --argjson max "$IDLE_MAX_PCT" '
    ($w.requests) as $r
    | ((($b - $n - $g) / $hz - $u - $s) / $e * 100 | if . < 0 then 0 else . end) as $foreign
    | {target: $target, mode: $mode, c: $c, attempt: $attempt, requests: $r, rps: $w.rps,
       p50_us: $w.lat_p50_us, p99_us: $w.lat_p99_us, max_us: $w.lat_max_us, errors: $w.errors, non2xx: $w.non2xx,
       gw_us_per_req: ($g / $hz * 1e6 / $r), nginx_us_per_req: ($n / $hz * 1e6 / $r),
       wrk_us_per_req: (($u + $s) * 1e6 / $r), gw_ticks: $g, nginx_ticks: $n, busy_ticks: $b, wall_s: $e,
       foreign_cpu_pct: ($foreign * 10 | round / 10),
       clean: ($foreign < $max and $w.errors == 0 and $w.non2xx == 0)}' | tee -a "$OUT/runs.jsonl" \
    | jq -r '"  \(.target) \(.mode) c=\(.c) try \(.attempt): \(.rps|floor) req/s, gateway \(.gw_us_per_req*10|round/10) µs/req, p50 \(.p50_us) µs, foreign \(.foreign_cpu_pct)%" + (if .clean then "" else "  (not clean)" end)'
  tail -n1 "$OUT/runs.jsonl" | jq -e .clean > /dev/null
}

echo "gateway bench: targets [$TARGETS], modes [$MODES], conns [$CONNS], $RUNS clean runs of $DURATION each; out $OUT"
for mode in $MODES; do
  for target in $TARGETS; do
    start_target "$target" "$mode"
    check_target "$target" "$mode"
    # Warm-up, untimed: thread pools, connection pools and Node's JIT settle before the timed runs.
    for c in $CONNS; do run_wrk "$c" 2s; done
    for c in $CONNS; do
      ok=0; try=0
      while [ "$ok" -lt "$RUNS" ] && [ "$try" -lt "${MAX_TRIES:-$((RUNS * 3))}" ]; do
        try=$((try + 1))
        if measure_once "$target" "$mode" "$c" "$try"; then ok=$((ok + 1)); fi
      done
      [ "$ok" -ge "$RUNS" ] || echo "  warning: only $ok clean runs of $try for $target $mode c=$c" >&2
    done
    if [ -n "$GW_PID" ]; then
      jq -c -n --arg target "$target" --arg mode "$mode" \
        --argjson rss "$(awk '/^VmRSS:/{print $2}' "/proc/$GW_PID/status")" \
        --argjson hwm "$(awk '/^VmHWM:/{print $2}' "/proc/$GW_PID/status")" \
        '{target: $target, mode: $mode, rss_kb: $rss, hwm_kb: $hwm}' | tee -a "$OUT/rss.jsonl"
      stop_gateway
    fi
  done
done
node "$HERE/summarize.js" "$OUT"
