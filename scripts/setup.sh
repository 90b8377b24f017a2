#!/usr/bin/env bash
# Installs the Debian 12 packages majordomo needs to build, test and run its demo (idempotent).
#   scripts/setup.sh          build + test + demo dependencies
#   scripts/setup.sh --bench  also the benchmark harness's (nginx, wrk, hyperfine, node)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libpoco-dev libboost-dev libfmt-dev libsimdjson-dev libvalijson-dev json-schema-test-suite catch2 libssl-dev
  openssl ca-certificates curl jq
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(nginx-light wrk hyperfine time util-linux nodejs npm valgrind)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
