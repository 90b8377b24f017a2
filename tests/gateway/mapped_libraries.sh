#!/usr/bin/env bash
# Which libraries `majordomo serve` maps: no database stack without "log", shared_limits or key_table; the sinks module (from the program's own tree) with a log; a clear error when the module is missing.
#   tests/gateway/mapped_libraries.sh CLI FAKE_BINARY
set -euo pipefail
cli="${1:?usage: mapped_libraries.sh CLI FAKE_BINARY}"
fake="${2:?usage: mapped_libraries.sh CLI FAKE_BINARY}"
source "$(dirname "${BASH_SOURCE[0]}")/gateway_children.sh"
begin_gateway_work
fail() { echo "FAILED: $*" >&2; exit 1; }

# Poco::Data, SQLite, libpq and what libpq alone pulls in (OpenSSL, Kerberos, LDAP, GnuTLS).
database_stack='libmajordomo-logsinks|libPocoData|libsqlite3|libpq\.|libssl|libcrypto|libkrb5|libldap|libgnutls'

ask() {  # MODEL: one JSON request through the gateway, so that the route's plugin is loaded and used
  curl -sf --max-time 30 -H "Authorization: Bearer $gateway_key" -H 'Content-Type: application/json' \
    -d "{\"model\":\"$1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
    "$gateway_origin/v1/chat/completions" >/dev/null || fail "a request for $1 through the gateway failed"
}

mapped() { awk '$6 ~ /^\// { print $6 }' "/proc/$gateway_pid/maps" | sort -u; }

start_fake "$fake"

# 1. No log, no shared limits, no key table: nothing of the database stack is mapped, also after
#    requests to two providers.
write_gateway_config "$work/plain.json"
start_gateway "$cli" "$work/plain.json"
ask openai/gpt-4o
ask anthropic/claude-haiku-4-5
mapped >"$work/plain.maps"
grep -q 'libmajordomo-openai' "$work/plain.maps" || fail "the openai plugin is not mapped (the check reads the wrong process)"
if grep -E "$database_stack" "$work/plain.maps"; then fail "a gateway without a log or database maps the libraries above"; fi
stop_gateway_checked
echo "ok: without a log, no database library is mapped"

# 2. With a log: the sinks module of the program's own tree is loaded, and the row is written.
write_gateway_config "$work/logged.json" "\"log\": \"sqlite:$work/calls.db\""
start_gateway "$cli" "$work/logged.json"
ask openai/gpt-4o
mapped >"$work/logged.maps"
tree="$(cd "$(dirname "$cli")/.." && pwd -P)"
grep -qx "$tree/lib/majordomo/libmajordomo-logsinks.so" "$work/logged.maps" ||
  { cat "$work/logged.maps" >&2; fail "the sinks module of $tree is not mapped by a gateway with a log"; }
grep -q 'libPocoDataSQLite' "$work/logged.maps" || fail "the SQLite connector is not mapped by a gateway with a log"
stop_gateway_checked
"$cli" logs --db "sqlite:$work/calls.db" --output json >"$work/rows.json" || fail "majordomo logs cannot read the gateway's log"
grep -q '"served_by":"openai:gpt-4o"' "$work/rows.json" || { cat "$work/rows.json" >&2; fail "the gateway's row is not in its log"; }
echo "ok: with a log, the sinks module of $tree is loaded and the row is written"

# 3. A tree whose sinks module is missing: the gateway refuses to start, naming the module, where it
#    looked and the remedy (a copy of the program's tree without the module; nothing else changes).
mkdir -p "$work/tree/bin"
cp -a "$cli" "$work/tree/bin/"
cp -as "$tree/lib" "$work/tree/"  # symbolic links: the files stay where they are
rm "$work/tree/lib/majordomo/libmajordomo-logsinks.so"
status=0
timeout 30 "$work/tree/bin/$(basename "$cli")" serve --config "$work/logged.json" --port-file "$work/never.port" \
  >"$work/missing.out" 2>"$work/missing.err" || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "a gateway with a log but no sinks module exited $status"
for part in "libmajordomo-logsinks.so" "$work/tree/lib/majordomo/libmajordomo-logsinks.so (absent)" \
            "MAJORDOMO_LOG_SINKS_MODULE"; do
  grep -qF "$part" "$work/missing.err" || { cat "$work/missing.err" >&2; fail "the error does not say: $part"; }
done
[ ! -s "$work/never.port" ] || fail "a gateway that cannot log started listening"
# A module named by the environment that is not the sinks module (the TLS module) is refused.
status=0
MAJORDOMO_LOG_SINKS_MODULE="$tree/lib/majordomo/libmajordomo-tls.so" timeout 30 "$work/tree/bin/$(basename "$cli")" \
  serve --config "$work/logged.json" --port-file "$work/never.port" >"$work/wrong.out" 2>"$work/wrong.err" || status=$?
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "a gateway given the TLS module as its sinks module exited $status"
grep -qF "libmajordomo-tls.so (not a majordomo log sinks module)" "$work/wrong.err" ||
  { cat "$work/wrong.err" >&2; fail "the error does not say that the module named is not a sinks module"; }
echo "ok: without the sinks module, the gateway refuses to start and names it: $(head -c 200 "$work/missing.err")"
