#!/usr/bin/env bash
# Start-up in one sitting: majordomo (start-up + the plugin directory + one request) beside bare Poco programs.
# Usage (the harness nginx must be up: cd ../shared/bench && ./serve.sh start):
#   BUILD=build/release bench/startup.sh
# Env: BUILD (default build/release: majordomo_bench_driver, majordomo_bench_poco_reference and
#      lib/majordomo/plugins from one Release build), RUNS (60), CPU (1; "" = not pinned),
#      OUT (default /tmp/mj-startup).
# hyperfine runs every command in one invocation, so the ratios are of the same sitting; the
# callgrind line counts instructions of each process, which load on the machine does not change.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HARNESS="${HARNESS:-$(cd "$REPO/../shared/bench" && pwd)}"
BUILD="$(cd "${BUILD:-$REPO/build/release}" && pwd)"
RUNS="${RUNS:-60}"
CPU="${CPU-1}"
OUT="${OUT:-/tmp/mj-startup}"
PORT="${BENCH_PORT:-18080}"
mkdir -p "$OUT"

driver="$BUILD/bin/majordomo_bench_driver"
poco="$BUILD/bin/majordomo_bench_poco_reference"
for program in "$driver" "$poco"; do
  [ -x "$program" ] || { echo "startup.sh: $program is missing: build the bench targets in $BUILD" >&2; exit 1; }
done
curl -sf -o /dev/null -X POST -d '{}' "http://127.0.0.1:$PORT/v1/chat/completions" ||
  { echo "startup.sh: the harness nginx is not up on port $PORT (cd $HARNESS && ./serve.sh start)" >&2; exit 1; }
echo "plugins loaded by the driver: $(ls "$BUILD/lib/majordomo/plugins" | tr '\n' ' ')"

pin=""; [ -n "$CPU" ] && pin="taskset -c $CPU "
cd "$HARNESS"
hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$OUT/startup.json" \
  -n "poco hello" "${pin}$poco" \
  -n "poco one request" "${pin}$poco 127.0.0.1 $PORT /v1/chat/completions" \
  -n "majordomo start-up + plugins + one request" \
  "${pin}$driver http://127.0.0.1:$PORT/v1 json 0 1 0 fixtures/short_text.txt"

node -e '
  const r = require(process.argv[1]).results;
  const base = r[0].median;
  for (const x of r) console.log(`${x.command.padEnd(44)} median ${(x.median * 1e3).toFixed(2)} ms  mean ${(x.mean * 1e3).toFixed(2)} ± ${(x.stddev * 1e3).toFixed(2)}  user ${(x.user * 1e3).toFixed(2)} sys ${(x.system * 1e3).toFixed(2)}  ratio ${(x.median / base).toFixed(2)}`);
' "$OUT/startup.json"

if command -v valgrind >/dev/null; then
  ir() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
           sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
  hello_ir="$(ir "$poco")"; request_ir="$(ir "$poco" 127.0.0.1 "$PORT" /v1/chat/completions)"
  driver_ir="$(ir "$driver" "http://127.0.0.1:$PORT/v1" json 0 1 0 fixtures/short_text.txt)"
  awk -v h="$hello_ir" -v q="$request_ir" -v d="$driver_ir" 'BEGIN {
    printf "callgrind Ir: poco hello %.2f M, poco one request %.2f M, majordomo %.2f M (%.2fx hello)\n",
           h / 1e6, q / 1e6, d / 1e6, d / h }'
fi
