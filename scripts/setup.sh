#!/usr/bin/env bash
# Installs the Debian 12 packages majordomo needs to build, test and run its demo, and the npm test dependencies (idempotent).
#   scripts/setup.sh          build + test + demo dependencies
#   scripts/setup.sh --bench  also the benchmark harness's (wrk, hyperfine)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libpoco-dev libboost-dev libfmt-dev libsimdjson-dev libvalijson-dev libre2-dev json-schema-test-suite catch2 libssl-dev
  clang libfuzzer-14-dev  # the fuzz targets (scripts/fuzz.sh, the fuzz smoke of scripts/test.sh)
  openssl ca-certificates curl jq
  squid nginx-light   # test-only: a real forward proxy and API gateway on loopback (tests/core/test_proxies.cpp)
  libpq-dev postgresql  # the call log's PostgreSQL sink; its tests start a throwaway cluster
  prometheus  # test-only: a real Prometheus scrapes the gateway's /metrics (tests/gateway)
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk hyperfine time util-linux valgrind)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm run tests/npm (the official SDKs against the fake server). A machine that already
# has them (for instance a node build that bundles npm, which Debian's npm package conflicts with)
# keeps its own; otherwise Debian's are installed.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The SDK versions pinned by tests/npm/package-lock.json; npm ci (about 20 s) runs only when the
# lock file changed since the last install, recorded by its checksum inside node_modules. They need
# Node 20: with an older Node (Debian 12's own is 18) they are not installed and their two checks
# report themselves skipped (tests/npm/run_against_fake.sh).
lock_sum="$(sha256sum tests/npm/package-lock.json | cut -d' ' -f1)"
stamp=tests/npm/node_modules/.majordomo-lock-sha256
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "setup: node $(node --version) is older than 20: the official-SDK checks in tests/npm will be skipped"
elif [ "$(cat "$stamp" 2>/dev/null || true)" != "$lock_sum" ]; then
  echo "setup: npm ci in tests/npm (the official provider SDKs the fake server is checked against)"
  # No install scripts: the checks need none, and none should run on a developer's machine unasked.
  (cd tests/npm && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$lock_sum" > "$stamp"
fi
