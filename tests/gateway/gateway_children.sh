# Sourced by the gateway's process tests: majordomo-fake and `majordomo serve` as children, started and stopped by PID.
# After sourcing: begin_gateway_work; start_fake FAKE_BINARY; write_gateway_config FILE [EXTRA_JSON];
# start_gateway CLI CONFIG; then $fake_origin and $gateway_origin are set. Everything stops on exit.
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/fake_child.sh"

gateway_pid=""

begin_gateway_work() {
  begin_work_dir
  trap stop_gateway_children EXIT
}

stop_gateway_children() {
  if [ -n "$gateway_pid" ]; then kill -TERM "$gateway_pid" 2>/dev/null || true; wait "$gateway_pid" 2>/dev/null || true; fi
  stop_fake_and_remove_work_dir
}

start_fake() {
  "$1" --port 0 --port-file "$work/fake.port" --no-fixtures >"$work/fake.log" 2>&1 &
  fake_pid=$!
  wait_for_port_file "$work/fake.port" || { cat "$work/fake.log" >&2; echo "majordomo-fake did not start" >&2; exit 1; }
  fake_origin="http://127.0.0.1:$(cat "$work/fake.port")"
}

# The five providers on the fake; one key (team-a) whose text is $gateway_key; the access log in
# $gateway_access_log when set ("off" for none), else $work/access.log.
gateway_key="mjk-process-test-0001"
write_gateway_config() {
  local key_hash extra="${2:-}"
  key_hash="$(printf '%s' "$gateway_key" | sha256sum | cut -d' ' -f1)"
  cat >"$1" <<JSON
{
  "listen": "127.0.0.1:0",
  "access_log": "${gateway_access_log:-$work/access.log}",
  "providers": {
    "openai": {"base_url": "$fake_origin/v1", "api_key": "sk-test-0000", "max_attempts": 1},
    "anthropic": {"base_url": "$fake_origin", "api_key": "sk-ant-test-0000", "max_attempts": 1},
    "gemini": {"base_url": "$fake_origin", "api_key": "AIza-test-0000", "max_attempts": 1},
    "deepseek": {"base_url": "$fake_origin", "api_key": "sk-ds-test-0000", "max_attempts": 1},
    "cohere": {"base_url": "$fake_origin", "api_key": "co-test-0000", "max_attempts": 1}
  },
  "gateway_keys": [{"name": "team-a", "sha256": "$key_hash"}]${extra:+,$extra}
}
JSON
}

# Starts the gateway with --port-file and waits (bounded) for the file; fails if it exits first.
start_gateway() {
  rm -f "$work/gateway.port"  # a previous gateway's file would be taken for this one's
  "$1" serve --config "$2" --port-file "$work/gateway.port" >"$work/gateway.out" 2>"$work/gateway.err" &
  gateway_pid=$!
  local saved="$fake_pid"
  fake_pid="$gateway_pid"  # wait_for_port_file watches $fake_pid for an early exit
  wait_for_port_file "$work/gateway.port" 600 0.05 || { fake_pid="$saved"; cat "$work/gateway.err" >&2; echo "majordomo serve did not start" >&2; exit 1; }
  fake_pid="$saved"
  gateway_origin="http://127.0.0.1:$(cat "$work/gateway.port")"
}

# SIGTERM, then the exit status must be 0 (a drained, clean stop; under the sanitizers, no report).
stop_gateway_checked() {
  kill -TERM "$gateway_pid"
  # Bounded: a drain that hangs fails here, not at ctest's timeout (the grace period is 30 s).
  local polls=0
  while kill -0 "$gateway_pid" 2>/dev/null && [ "$polls" -lt 900 ]; do sleep 0.05; polls=$((polls + 1)); done
  if kill -0 "$gateway_pid" 2>/dev/null; then
    kill -KILL "$gateway_pid"; wait "$gateway_pid" 2>/dev/null || true; gateway_pid=""
    echo "majordomo serve did not stop within 45 s of SIGTERM" >&2; exit 1
  fi
  local status=0
  wait "$gateway_pid" || status=$?
  gateway_pid=""
  if [ "$status" -ne 0 ]; then cat "$work/gateway.err" >&2; echo "majordomo serve exited $status after SIGTERM" >&2; exit 1; fi
}

# One value of the gateway's /metrics (a series without labels).
metric() {
  curl -sf --max-time 10 "$gateway_origin/metrics" | awk -v name="$1" '$1 == name { print $2 }'
}
