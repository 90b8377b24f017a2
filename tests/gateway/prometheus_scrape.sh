#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes `majordomo serve`'s /metrics: the target is up, and the gateway's series are queryable.
#   tests/gateway/prometheus_scrape.sh CLI FAKE_BINARY
set -euo pipefail
cli="${1:?usage: prometheus_scrape.sh CLI FAKE_BINARY}"
fake="${2:?usage: prometheus_scrape.sh CLI FAKE_BINARY}"
command -v prometheus >/dev/null || { echo "prometheus is not installed: run scripts/setup.sh" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/gateway_children.sh"
begin_gateway_work
prometheus_pid=""
trap 'if [ -n "$prometheus_pid" ]; then kill "$prometheus_pid" 2>/dev/null || true; wait "$prometheus_pid" 2>/dev/null || true; fi; stop_gateway_children' EXIT

start_fake "$fake"
write_gateway_config "$work/gateway.json"
start_gateway "$cli" "$work/gateway.json"
# Some traffic, so the per-route series exist.
for model in openai/gpt-4o anthropic/claude-haiku-4-5; do
  curl -sf --max-time 30 -H "Authorization: Bearer $gateway_key" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
    "$gateway_origin/v1/chat/completions" >/dev/null
done

# A free loopback port for Prometheus' own web server (it cannot report one it chose).
prometheus_port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: majordomo
    static_configs:
      - targets: ['127.0.0.1:$(cat "$work/gateway.port")']
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
api="http://127.0.0.1:$prometheus_port/api/v1"

# Bounded poll: Prometheus scrapes once a second; 60 tries of 0.5 s is far more than it needs.
health=""
for _ in $(seq 1 60); do
  health="$(curl -sf --max-time 2 "$api/targets" | jq -r '.data.activeTargets[0].health // empty' 2>/dev/null || true)"
  [ "$health" = up ] && break
  kill -0 "$prometheus_pid" 2>/dev/null || { cat "$work/prometheus.log" >&2; echo "prometheus exited" >&2; exit 1; }
  sleep 0.5
done
if [ "$health" != up ]; then
  curl -s "$api/targets" >&2 || true
  echo "FAIL: Prometheus never scraped /metrics successfully (target health '$health')" >&2
  exit 1
fi
error="$(curl -sf "$api/targets" | jq -r '.data.activeTargets[0].lastError')"
[ -z "$error" ] || { echo "FAIL: the scrape reported an error: $error" >&2; exit 1; }

# The series came through with their labels.
result="$(curl -sf --max-time 5 --data-urlencode 'query=majordomo_gateway_requests_total{provider="openai",key="team-a",code="200"}' "$api/query")"
value="$(jq -r '.data.result[0].value[1] // empty' <<<"$result")"
[ "$value" = 1 ] || { echo "FAIL: majordomo_gateway_requests_total for openai/team-a is '$value': $result" >&2; exit 1; }
buckets="$(curl -sf --max-time 5 --data-urlencode 'query=count(majordomo_gateway_request_duration_seconds_bucket)' "$api/query" | jq -r '.data.result[0].value[1] // 0')"
[ "$buckets" -gt 0 ] || { echo "FAIL: no latency histogram buckets were scraped" >&2; exit 1; }
stop_gateway_checked
echo "ok: Prometheus scraped the gateway (up, no error; requests_total and the latency histogram queryable)"
