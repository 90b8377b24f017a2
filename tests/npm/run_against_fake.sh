#!/usr/bin/env bash
# Starts majordomo-fake on an ephemeral loopback port, runs the official-SDK checks (node --test) against it, stops it.
#   tests/npm/run_against_fake.sh [--built-in] FAKE_BINARY FIXTURES_DIR [test files...]
# The fake replays the shared fixtures, or with --built-in serves its own generated replies
# (--no-fixtures); the checks read their expectations from FIXTURES_DIR either way.
# The SDKs come from tests/npm/package-lock.json; scripts/setup.sh installs them (npm ci).
set -euo pipefail

usage="usage: run_against_fake.sh [--built-in] FAKE_BINARY FIXTURES_DIR [test files...]"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
replies=fixtures
if [ "${1:-}" = "--built-in" ]; then
  replies=built-in
  shift
fi
fake_binary="${1:?$usage}"
fixtures="${2:?$usage}"
shift 2

fail() { echo "run_against_fake: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed: run scripts/setup.sh"
# The pinned SDKs need Node 20 (openai 6.49 and @google/genai 2.32 are their last releases for it);
# Debian 12's own Node is 18. There the checks are skipped, loudly, with exit code 77, which ctest
# reports as "Not Run (skipped)" (SKIP_RETURN_CODE), never as passed; CI machines have Node 20.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "run_against_fake: SKIPPED: node $(node --version) is older than 20, which the pinned official SDKs need; install Node 20 or newer to run these checks" >&2
  exit 77
fi
[ -d "$here/node_modules" ] || fail "tests/npm/node_modules is missing (the official SDKs): run scripts/setup.sh, which runs 'npm ci' in tests/npm"
stamp="$here/node_modules/.majordomo-lock-sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" != "$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)" ]; then
  fail "tests/npm/node_modules was installed from an older package-lock.json: run scripts/setup.sh"
fi
[ -x "$fake_binary" ] || fail "$fake_binary is not an executable: build the majordomo-fake target"
[ -d "$fixtures" ] || fail "$fixtures is not a directory (the shared protocol fixtures)"

source "$here/../../scripts/fake_child.sh"
begin_work_dir

replies_flag=(--fixtures "$fixtures")
[ "$replies" = built-in ] && replies_flag=(--no-fixtures)
# The fake prints "majordomo-fake listening on ORIGIN" once it listens: a blocking read of that
# line through a FIFO is the wait (it ends at EOF if the fake exits first).
mkfifo "$work/stdout"
"$fake_binary" --host 127.0.0.1 --port 0 "${replies_flag[@]}" >"$work/stdout" 2>"$work/fake.err" &
fake_pid=$!
exec 3<"$work/stdout"
listening=""
read -r -t 30 listening <&3 || true
case "$listening" in
  "majordomo-fake listening on http://127.0.0.1:"*) ;;
  *) cat "$work/fake.err" >&2; fail "majordomo-fake did not report listening (got '${listening}')" ;;
esac

export MAJORDOMO_FAKE_ORIGIN="${listening##* }"
export MAJORDOMO_FIXTURES="$fixtures"
export MAJORDOMO_FAKE_REPLIES="$replies"
# The SDKs read these from the environment; a developer's real settings must not leak into the checks.
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN \
      ANTHROPIC_BASE_URL GEMINI_API_KEY GOOGLE_API_KEY GOOGLE_GENAI_USE_VERTEXAI GOOGLE_CLOUD_PROJECT \
      GOOGLE_CLOUD_LOCATION CO_API_KEY COHERE_API_KEY DEEPSEEK_API_KEY HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy

cd "$here"
if [ "$#" -eq 0 ]; then set -- ./*.test.js; fi
status=0
node --test --test-reporter=spec "$@" || status=$?

# A clean stop is part of the check: under the sanitizers a leak or error shows in the exit code.
kill -TERM "$fake_pid"
fake_status=0
wait "$fake_pid" || fake_status=$?
fake_pid=""
if [ "$fake_status" -ne 0 ]; then
  echo "run_against_fake: majordomo-fake exited with status $fake_status after SIGTERM" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "--- majordomo-fake stderr ---" >&2
  cat "$work/fake.err" >&2
fi
exit "$status"
