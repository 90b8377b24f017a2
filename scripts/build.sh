#!/usr/bin/env bash
# Configures and builds one flavour of the tree: release (default) or asan (Debug + ASan/UBSan).
#   scripts/build.sh [release|asan] [TARGET...]   -> build/<flavour> (all targets by default)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
flavour="${1:-release}"
shift || true
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DMAJORDOMO_SANITIZE=ON) ;;
  *) echo "build.sh: unknown flavour '$flavour' (release|asan)" >&2; exit 2 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "build/$flavour" -j "$(nproc)" "${targets[@]}"
