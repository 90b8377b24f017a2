#!/usr/bin/env bash
# Two `majordomo serve` behind nginx (round-robin) sharing one PostgreSQL call log, key table and per-key limits: what scale-out promises.
#   tests/gateway/scale_out.sh CLI FAKE_BINARY
set -euo pipefail
cli="${1:?usage: scale_out.sh CLI FAKE_BINARY}"
fake="${2:?usage: scale_out.sh CLI FAKE_BINARY}"
for tool in nginx psql curl node; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed: run scripts/setup.sh" >&2; exit 1; }
done
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1)"
[ -x "$pg_bin/initdb" ] || { echo "no /usr/lib/postgresql/*/bin/initdb: install the postgresql package (scripts/setup.sh)" >&2; exit 1; }
source "$(dirname "${BASH_SOURCE[0]}")/gateway_children.sh"

begin_gateway_work
gateway_pids=()
nginx_pid=""
pg_pid=""
pg_dir=""
stop_everything() {
  local pid
  for pid in "${gateway_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ -n "$nginx_pid" ]; then kill -TERM "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; fi
  if [ -n "$pg_pid" ]; then kill -INT "$pg_pid" 2>/dev/null || true; wait "$pg_pid" 2>/dev/null || true; fi
  [ -z "$pg_dir" ] || rm -rf "$pg_dir"
  stop_gateway_children
}
trap stop_everything EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A free loopback port (the daemons below cannot report one they chose).
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# ---- PostgreSQL: a throwaway cluster, trust auth, on loopback. initdb refuses root, so as root
# both run as Debian's postgres user (setpriv execs, so $! is the server's own PID).
pg_dir="$(mktemp -d /tmp/majordomo-scale-pg-XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres:postgres "$pg_dir"
  as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U test -A trust --no-sync -E UTF8 --locale=C >"$pg_dir/initdb.log" 2>&1 ||
  { cat "$pg_dir/initdb.log" >&2; fail "initdb failed"; }
pg_port="$(free_port)"
"${as_pg[@]}" "$pg_bin/postgres" -D "$pg_dir/data" -p "$pg_port" -k "$pg_dir" -c listen_addresses=127.0.0.1 \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c lc_messages=C >"$pg_dir/postgres.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 200); do
  grep -q "ready to accept connections" "$pg_dir/postgres.log" 2>/dev/null && break
  kill -0 "$pg_pid" 2>/dev/null || { cat "$pg_dir/postgres.log" >&2; fail "postgres exited"; }
  sleep 0.05
done
grep -q "ready to accept connections" "$pg_dir/postgres.log" || { cat "$pg_dir/postgres.log" >&2; fail "postgres did not start"; }
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "postgresql://test@127.0.0.1:$pg_port/postgres" -c "$1"; }
# Trust auth ignores the password; it is there to show that it never appears in any output.
password="pw-scale-out-secret-41"
target="postgresql://test:$password@127.0.0.1:$pg_port/postgres"

# ---- The fake provider, and one configuration for both gateways.
start_fake "$fake"
hash_of() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
rate_key="mjk-scale-rate-0001"
budget_key="mjk-scale-budget-0001"
table_key="mjk-scale-table-0001"
rate=6
cat >"$work/gateway.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "access_log": "stderr",
  "providers": {"openai": {"base_url": "$fake_origin/v1", "api_key": "sk-test-0000", "max_attempts": 1}},
  "gateway_keys": [
    {"name": "team-a", "sha256": "$(hash_of "$gateway_key")"},
    {"name": "rate", "sha256": "$(hash_of "$rate_key")", "requests_per_minute": $rate},
    {"name": "budget", "sha256": "$(hash_of "$budget_key")", "usd_per_day": 0.000001}
  ],
  "log": "$target",
  "shared_limits": "$target",
  "key_table": "$target"
}
JSON

# ---- Two gateways, each with its own port file and stderr (its access log).
for n in 1 2; do
  "$cli" serve --config "$work/gateway.json" --port-file "$work/gateway$n.port" >"$work/gateway$n.out" 2>"$work/gateway$n.err" &
  gateway_pids+=($!)
done
for n in 1 2; do
  fake_pid_saved="$fake_pid"
  fake_pid="${gateway_pids[$((n - 1))]}"  # wait_for_port_file watches $fake_pid for an early exit
  wait_for_port_file "$work/gateway$n.port" 600 0.05 || { fake_pid="$fake_pid_saved"; cat "$work/gateway$n.err" >&2; fail "gateway $n did not start"; }
  fake_pid="$fake_pid_saved"
done
origin1="http://127.0.0.1:$(cat "$work/gateway1.port")"
origin2="http://127.0.0.1:$(cat "$work/gateway2.port")"

# ---- nginx in front: round-robin, keep-alive upstream connections, no buffering.
nginx_port="$(free_port)"
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<NGINX
daemon off;
master_process off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 64; }
http {
  access_log $work/nginx/access.log;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream majordomo {
    server 127.0.0.1:$(cat "$work/gateway1.port");
    server 127.0.0.1:$(cat "$work/gateway2.port");
    keepalive 16;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://majordomo;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
NGINX
nginx -p "$work/nginx" -e "$work/nginx/error.log" -c "$work/nginx/nginx.conf" &
nginx_pid=$!
front="http://127.0.0.1:$nginx_port"
for _ in $(seq 1 200); do
  curl -sf --max-time 2 "$front/healthz" >/dev/null 2>&1 && break
  kill -0 "$nginx_pid" 2>/dev/null || { cat "$work/nginx/error.log" >&2; fail "nginx exited"; }
  sleep 0.05
done
curl -sf --max-time 2 "$front/healthz" >/dev/null || fail "nginx does not answer on $front"

# chat ORIGIN KEY: prints the HTTP status; the headers go to $work/last.headers, the body to $work/last.body.
chat() {
  curl -s --max-time 30 -o "$work/last.body" -D "$work/last.headers" -w '%{http_code}' \
    -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -d '{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}' "$1/v1/chat/completions"
}
retry_after() { tr -d '\r' <"$work/last.headers" | awk -F': ' 'tolower($1) == "retry-after" { print $2 }'; }
served_lines() { grep -c " POST /v1/chat/completions $2 key=$3" "$work/gateway$1.err" || true; }

# ---- 1. Requests through nginx reach both gateways.
for _ in $(seq 1 10); do
  status="$(chat "$front" "$gateway_key")"
  [ "$status" = 200 ] || { cat "$work/last.body" >&2; fail "team-a through nginx: $status"; }
done
for n in 1 2; do
  lines="$(served_lines "$n" 200 team-a)"
  [ "$lines" -ge 1 ] || fail "gateway $n served none of the 10 requests through nginx"
done
echo "ok: nginx spread 10 requests over both gateways ($(served_lines 1 200 team-a) and $(served_lines 2 200 team-a))"

# ---- 2. requests_per_minute is one limit across both: exactly $rate successes, then 429.
# The window is the UTC minute: start early in one (a bounded wait on the clock), so the burst
# does not straddle two windows.
for _ in $(seq 1 70); do [ "$((10#$(date -u +%S)))" -lt 40 ] && break; sleep 1; done
[ "$((10#$(date -u +%S)))" -lt 40 ] || fail "the clock never came to the start of a minute"
ok=0 limited=0 retry=""
for _ in $(seq 1 $((rate * 2))); do
  status="$(chat "$front" "$rate_key")"
  case "$status" in
    200) ok=$((ok + 1)) ;;
    429) limited=$((limited + 1)); retry="$(retry_after)" ;;
    *) cat "$work/last.body" >&2; fail "rate key through nginx: $status" ;;
  esac
done
[ "$ok" -eq "$rate" ] || fail "the rate key had $ok successes across both gateways; its limit is $rate"
[ "$limited" -eq "$rate" ] || fail "the rate key had $limited refusals, expected $rate"
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 60 ] || fail "Retry-After '$retry' is not 1..60 s"
for n in 1 2; do
  grep -q "key=rate" "$work/gateway$n.err" || fail "gateway $n saw none of the rate key's requests"
done
echo "ok: requests_per_minute $rate held across both gateways ($ok served, $limited refused, Retry-After $retry)"

# ---- 3. The budget spent on gateway 1 is spent for gateway 2.
status="$(chat "$origin1" "$budget_key")"
[ "$status" = 200 ] || { cat "$work/last.body" >&2; fail "budget key on gateway 1: $status"; }
status="$(chat "$origin2" "$budget_key")"
[ "$status" = 429 ] || { cat "$work/last.body" >&2; fail "budget key on gateway 2 after its budget was spent on gateway 1: $status"; }
grep -q "budget" "$work/last.body" || fail "the 429 does not say the budget is used: $(cat "$work/last.body")"
retry="$(retry_after)"
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 86400 ] || fail "budget Retry-After '$retry'"
echo "ok: the budget spent on gateway 1 refused the key on gateway 2 (Retry-After $retry s, to midnight UTC)"

# ---- 4. A key inserted into the key table, then SIGHUP: accepted by both.
status="$(chat "$origin1" "$table_key")"
[ "$status" = 401 ] || fail "the table key before it was inserted: $status"
sql "INSERT INTO majordomo_gateway_keys (name, sha256) VALUES ('from-table', '$(hash_of "$table_key")')"
for n in 1 2; do
  before="$(grep -c "serve: configuration reloaded" "$work/gateway$n.err" || true)"
  kill -HUP "${gateway_pids[$((n - 1))]}"
  for _ in $(seq 1 200); do
    [ "$(grep -c "serve: configuration reloaded" "$work/gateway$n.err" || true)" -gt "$before" ] && break
    grep -q "reload refused" "$work/gateway$n.err" && { cat "$work/gateway$n.err" >&2; fail "gateway $n refused the reload"; }
    sleep 0.05
  done
  [ "$(grep -c "serve: configuration reloaded" "$work/gateway$n.err" || true)" -gt "$before" ] || fail "gateway $n did not reload"
done
table_calls=0
for origin in "$origin1" "$origin2" "$front"; do
  status="$(chat "$origin" "$table_key")"
  [ "$status" = 200 ] || { cat "$work/last.body" >&2; fail "the table key on $origin after SIGHUP: $status"; }
  table_calls=$((table_calls + 1))
done
echo "ok: a key inserted into majordomo_gateway_keys is accepted by both gateways after SIGHUP"

# ---- 5. SIGTERM: both drain, flush the call log and exit 0.
for n in 1 2; do
  pid="${gateway_pids[$((n - 1))]}"
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  [ "$code" -eq 0 ] || { cat "$work/gateway$n.err" >&2; fail "gateway $n exited $code after SIGTERM"; }
done
gateway_pids=()
echo "ok: both gateways exited 0 after SIGTERM"

# ---- 6. Every call is one row of the shared call log, by gateway key.
rows="$(sql "SELECT k || '=' || n FROM (SELECT metadata->>'gateway_key' AS k, count(*) AS n FROM majordomo_calls GROUP BY 1) AS c ORDER BY k" | tr '\n' ' ')"
rows="${rows% }"
expected="budget=1 from-table=$table_calls rate=$rate team-a=10"
[ "$rows" = "$expected" ] || fail "call log rows by key: '$rows', expected '$expected'"
echo "ok: the shared call log holds one row per call: $rows"

# ---- No password in any output.
if grep -l "$password" "$work"/gateway*.err "$work"/gateway*.out "$work/nginx/error.log" 2>/dev/null; then
  fail "the database password appears in the files above"
fi
echo "ok: scale-out (two gateways behind nginx, one PostgreSQL for the call log, the keys and the limits) holds"
