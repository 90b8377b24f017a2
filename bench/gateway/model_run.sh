#!/usr/bin/env bash
# The threading experiment (issue 12): model_proxy.cpp's three designs, interleaved, CPU per proxied request on the harness's nginx.
#   bench/gateway/model_run.sh      # about 4 minutes
# Each design forwards the same JSON request to the same nginx, with WORK busy-loop turns per request standing in
# for a gateway's own work; rounds alternate the designs so that a change in the machine's speed hits all three.
# Env: ROUNDS (4); WORK (30000); CONNS ("1 32"); DURATION (3s); UP_PORT (18090); MODEL_PORT (18096);
#      GW_CPU (1) the proxy's CPU; LOAD_CPU (0) wrk's (nginx is pinned to CPU 0 by the harness's config).
# Needs: g++, nginx, wrk, curl, taskset. Prints one line per run and the medians per design and concurrency.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HARNESS="${HARNESS:-$(cd "$HERE/../../../shared/bench" && pwd)}"
ROUNDS="${ROUNDS:-4}"; WORK="${WORK:-30000}"; CONNS="${CONNS:-1 32}"; DURATION="${DURATION:-3s}"
UP_PORT="${UP_PORT:-18090}"; MODEL_PORT="${MODEL_PORT:-18096}"; GW_CPU="${GW_CPU:-1}"; LOAD_CPU="${LOAD_CPU:-0}"
export BENCH_PORT="$UP_PORT" BENCH_NGINX_PREFIX="${BENCH_NGINX_PREFIX:-/tmp/mj-gateway-bench-nginx}"
WORKDIR="$(mktemp -d /tmp/mj-model-proxy.XXXXXX)"
PROXY_PID=""; NGINX_STARTED=""
cleanup() {
  [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
  [ -n "$NGINX_STARTED" ] && (cd "$HARNESS" && ./serve.sh stop >/dev/null)
  rm -rf "$WORKDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

g++ -std=c++20 -O2 -Wall -Wextra -pthread -o "$WORKDIR/model_proxy" "$HERE/model_proxy.cpp"
if ! curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$UP_PORT/v1/chat/completions"; then
  (cd "$HARNESS" && ./serve.sh start >/dev/null)
  NGINX_STARTED=1
fi
printf '%s' '{"model":"gpt-4o","messages":[{"role":"system","content":"You are a concise assistant for systems programmers."},{"role":"user","content":"Explain in two short paragraphs why keeping one HTTP connection alive matters for a client that streams tokens from a language model, and what a careful client should avoid doing per chunk."}],"temperature":0.7,"max_tokens":512}' > "$WORKDIR/body.json"
URL="http://127.0.0.1:$MODEL_PORT/v1/chat/completions"

# run DESIGN C: one timed wrk run against a fresh proxy; prints "user sys total" µs per request.
run() {
  taskset -c "$GW_CPU" "$WORKDIR/model_proxy" "$1" "$MODEL_PORT" "$UP_PORT" "$WORK" & PROXY_PID=$!
  for _ in $(seq 50); do curl -sf -o /dev/null -X POST -d '{}' "$URL" && break; sleep 0.1; done
  BENCH_BODY_FILE="$WORKDIR/body.json" taskset -c "$LOAD_CPU" wrk -t1 -c"$2" -d1s -s "$HERE/chat.lua" "$URL" > /dev/null 2>&1
  local u0 s0 u1 s1 requests
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")
  BENCH_BODY_FILE="$WORKDIR/body.json" taskset -c "$LOAD_CPU" wrk -t1 -c"$2" -d"$DURATION" -s "$HERE/chat.lua" "$URL" > "$WORKDIR/wrk.out" 2>&1
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$PROXY_PID/stat")
  kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
  requests="$(awk '/requests in/{print $1}' "$WORKDIR/wrk.out")"
  grep -q '"non2xx":0' "$WORKDIR/wrk.out" || { echo "model_run.sh: non-2xx answers through $1" >&2; exit 1; }
  awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v r="$requests" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{printf "%.1f %.1f %.1f\n", u/hz*1e6/r, s/hz*1e6/r, (u+s)/hz*1e6/r}'
}

: > "$WORKDIR/runs"
for round in $(seq "$ROUNDS"); do
  for c in $CONNS; do
    for design in threads loop loop+workers; do
      read -r user sys total < <(run "$design" "$c")
      echo "round $round c=$c $design: user $user sys $sys total $total µs/req"
      echo "$design $c $total" >> "$WORKDIR/runs"
    done
  done
done
echo "medians (µs of CPU per proxied request, WORK=$WORK):"
for c in $CONNS; do
  for design in threads loop loop+workers; do
    awk -v d="$design" -v c="$c" '$1 == d && $2 == c {print $3}' "$WORKDIR/runs" | sort -n \
      | awk -v d="$design" -v c="$c" '{v[NR]=$1} END{m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "  c=%s %-13s %.1f\n", c, d, m}'
  done
done
