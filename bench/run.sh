#!/usr/bin/env bash
# One benchmark sitting for majordomo against the shared harness (../shared/bench):
# wrk (the ceiling), the majordomo driver, the node openai peer, and start-up.
# Usage (from anywhere; the harness nginx is started and stopped by the caller):
#   cd ../shared/bench && ./serve.sh start
#   bench/run.sh                       # everything below
#   STEPS="driver startup" bench/run.sh
#   cd ../shared/bench && ./serve.sh stop
# Env:
#   HARNESS  the harness folder (default: ../shared/bench next to this repo)
#   NODE_HARNESS  a copy of the harness whose node/ holds node_modules (default /tmp/mj-harness;
#            created with `npm ci` on first use, so the shared folder is never written to)
#   DRIVER   the built driver (default /tmp/mj-bench-build/bin/majordomo_bench_driver)
#   OUT      results folder (default /tmp/mj-bench-results)
#   STEPS    default "wrk driver node startup"
#   RUNS     clean runs per cell (default 3)
# Each step holds /tmp/majordomo-bench.lock while it measures.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="${HARNESS:-$(cd "$REPO/../shared/bench" && pwd)}"
NODE_HARNESS="${NODE_HARNESS:-/tmp/mj-harness}"
DRIVER="${DRIVER:-/tmp/mj-bench-build/bin/majordomo_bench_driver}"
export OUT="${OUT:-/tmp/mj-bench-results}"
export RUNS="${RUNS:-3}"
STEPS="${STEPS:-wrk driver node startup}"
LOCK=/tmp/majordomo-bench.lock
OPENAI_PATHS="/v1/chat/completions /stream/v1/chat/completions /stream-frag/v1/chat/completions"
mkdir -p "$OUT"

locked() { touch "$LOCK"; trap 'rm -f "$LOCK"' EXIT; "$@"; rm -f "$LOCK"; trap - EXIT; }

for step in $STEPS; do
  case "$step" in
    wrk)
      (cd "$HARNESS" && locked env CONNS=1 PATHS="$OPENAI_PATHS" ./run_wrk.sh) ;;
    driver)
      (cd "$HARNESS" && locked env DRIVER="$DRIVER" NAME=majordomo PROVIDER=openai CONNS="1 8" ./run_peers.sh) ;;
    node)
      if [ ! -d "$NODE_HARNESS/node/node_modules/openai" ]; then
        mkdir -p "$NODE_HARNESS"
        (cd "$HARNESS" && tar cf - --exclude=./results --exclude=./node/node_modules . | tar xf - -C "$NODE_HARNESS")
        (cd "$NODE_HARNESS/node" && npm ci --no-audit --no-fund)
      fi
      (cd "$NODE_HARNESS" && locked env SDKS=openai CONNS=1 ./run_peers.sh) ;;
    startup)
      (cd "$HARNESS" && locked env DRIVER="$DRIVER" NAME=majordomo PROVIDER=openai RUNS=30 ./run_startup.sh) ;;
    *) echo "unknown step $step" >&2; exit 2 ;;
  esac
done
echo "results: $OUT/summary.md"
