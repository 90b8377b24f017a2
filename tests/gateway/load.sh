#!/usr/bin/env bash
# Load on one `majordomo serve`: 256 concurrent streams and 20 000 JSON requests with no error, and no file-descriptor or thread growth after the load; RSS reported.
#   tests/gateway/load.sh CLI FAKE_BINARY [STREAMS] [REQUESTS]
set -euo pipefail
cli="${1:?usage: load.sh CLI FAKE_BINARY [STREAMS] [REQUESTS]}"
fake="${2:?usage: load.sh CLI FAKE_BINARY [STREAMS] [REQUESTS]}"
streams="${3:-256}"
requests="${4:-20000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/gateway_children.sh"
begin_gateway_work
start_fake "$fake"
gateway_access_log=off  # a line per request would only slow the load down
# Idle connection threads end after 1 s here (60 s by default), so "back to where it was" is seen quickly.
write_gateway_config "$work/gateway.json" '"limits": {"idle_thread_s": 1}'
start_gateway "$cli" "$work/gateway.json"

load() {
  node "$here/load_client.mjs" "$1" "$gateway_origin" "$gateway_key" "$2" "$3" || {
    echo "FAIL: $1 load had errors" >&2; tail -5 "$work/gateway.err" >&2; exit 1; }
}
# Waits (bounded) until the gateway's gauge METRIC is at most LIMIT, then prints it. Threads idle
# past limits.idle_thread_s are ended by the gateway; descriptors close when a connection's thread
# reads the exited client's EOF. Both come down a little after the load, not at once.
settle() {
  local name="$1" limit="$2" value=""
  for _ in $(seq 1 100); do
    value="$(metric "$name")"
    [ "$value" -le "$limit" ] && { echo "$value"; return 0; }
    sleep 0.1
  done
  echo "$value"
}
settle_threads() { settle process_threads "$1"; }
settle_fds() { settle process_open_fds "$1"; }

load json 50 10  # warm-up: every route's plugin instance and connection pool exists
fds_before="$(settle_fds 1000000)"
threads_before="$(metric process_threads)"
echo "before: fds=$fds_before threads=$threads_before"

load stream "$streams" "$streams"
load json "$requests" 64
fds_after_first="$(settle_fds 1000000)"
threads_after_first="$(settle_threads "$((threads_before + 2))")"
echo "after one round: fds=$fds_after_first threads=$threads_after_first"
# A second round must not grow anything: a leak per request or per stream would show here. (The
# first round grows the upstream keep-alive pools to their working size; that is not a leak.)
load stream "$streams" "$streams"
load json "$((requests / 10))" 64
# Upstream keep-alive pools keep up to 16 idle connections per route (5 routes here): what may stay
# open after the load is that, not more.
pool_bound=$((5 * 16))
fds_after_second="$(settle_fds "$((fds_before + pool_bound))")"
threads_after_second="$(settle_threads "$((threads_before + 2))")"
rss="$(metric process_resident_memory_bytes)"
echo "after two rounds: fds=$fds_after_second threads=$threads_after_second rss_mib=$((rss / 1048576))"

[ "$fds_after_second" -le "$((fds_before + pool_bound))" ] || { echo "FAIL: file descriptors grew: $fds_before before the load, $fds_after_second after (the upstream pools account for at most $pool_bound)" >&2; exit 1; }
[ "$threads_after_second" -le "$((threads_before + 2))" ] || { echo "FAIL: threads grew: $threads_before before the load, $threads_after_second after" >&2; exit 1; }
streams_open="$(metric majordomo_gateway_streams_in_flight)"
[ "$streams_open" = 0 ] || { echo "FAIL: $streams_open streams still counted in flight after the load" >&2; exit 1; }
in_flight="$(metric majordomo_gateway_requests_in_flight)"
[ "$in_flight" = 1 ] || { echo "FAIL: $in_flight requests still in flight (only the metrics request should be)" >&2; exit 1; }
stop_gateway_checked
echo "ok: $((2 * streams)) streams and $((requests + requests / 10)) requests without an error; fds $fds_before -> $fds_after_second, threads $threads_after_first -> $threads_after_second, RSS $((rss / 1048576)) MiB"
