#!/usr/bin/env bash
# majordomo-fake --misbehave from the command line: it refuses an unknown name, and its `ok` and `malformed-status` misbehaviours reach the CLI.
#   check_fake_binary.sh FAKE CLI PLUGIN_DIR
set -euo pipefail
fake=$1 cli=$2 plugins=$3

if "$fake" --misbehave no-such-thing >/dev/null 2>&1; then echo "an unknown misbehaviour was accepted"; exit 1; fi

ask() {  # ask MISBEHAVIOUR: starts the server, asks once through the CLI, stops the server; prints the CLI's stdout
  exec 3< <(exec "$fake" --misbehave "$1" 2>/dev/null)
  local fake_pid=$!
  local line
  read -r -t 20 line <&3 || { echo "majordomo-fake --misbehave $1 did not start"; kill "$fake_pid"; exit 1; }
  local origin=${line##* on }
  "$cli" ask --provider openai --model gpt-4o-mini --base-url "$origin/v1" --api-key sk-fake-binary \
    --plugin-dir "$plugins" --proxy "" --timeout 5 --output json "Say hello." || true
  kill "$fake_pid"
  exec 3<&-
}

out=$(ask ok)
if [[ $out != *'"content":"Hello from a hostile server."'* ]]; then echo "ok: unexpected answer: $out"; exit 1; fi
out=$(ask malformed-status)
if [[ $out != *'"error":'* ]]; then echo "malformed-status: expected an error, got: $out"; exit 1; fi
echo ok
