#!/usr/bin/env bash
# Configures and builds one flavour of the tree: release (default) or asan (Debug + ASan/UBSan).
#   scripts/build.sh [release|asan|tsan] [TARGET...]   -> build/<flavour> (all targets by default)
# tsan is for the concurrency tests (e.g. `build/tsan/tests/core/core_provider_tests "[threads]"`);
# Poco is not instrumented, so races inside Poco itself are not seen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
flavour="${1:-release}"
shift || true
case "$flavour" in
  release) flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DMAJORDOMO_SANITIZE=ON) ;;
  tsan) flags=(-DCMAKE_BUILD_TYPE=Debug -DMAJORDOMO_BUILD_BENCH=OFF "-DCMAKE_CXX_FLAGS=-fsanitize=thread -O1"
               "-DCMAKE_C_FLAGS=-fsanitize=thread" "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
               "-DCMAKE_MODULE_LINKER_FLAGS=-fsanitize=thread" "-DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread") ;;
  *) echo "build.sh: unknown flavour '$flavour' (release|asan|tsan)" >&2; exit 2 ;;
esac
# ccache, when installed, lets several checkouts (e.g. git worktrees) share compiled objects.
if command -v ccache >/dev/null; then flags+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "build/$flavour" -G Ninja "${flags[@]}" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "build/$flavour" -j "$(nproc)" "${targets[@]}"
