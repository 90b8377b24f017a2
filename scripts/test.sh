#!/usr/bin/env bash
# Runs the whole test suite: installs dependencies, builds with ASan+UBSan and runs ctest, then
# builds the concurrency tests with ThreadSanitizer and runs them (a data race fails the run).
#   scripts/test.sh [ctest args...]     e.g. scripts/test.sh -R cascade
# MAJORDOMO_SKIP_TSAN=1 skips the ThreadSanitizer stage (it costs a second build).
# MAJORDOMO_SKIP_FUZZ=1 skips the fuzz smoke stage (a clang build of the fuzz targets, then each
# target run for MAJORDOMO_FUZZ_SMOKE_SECONDS, default 8, two at a time; docs/reliability.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
bash scripts/build.sh asan
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
(cd build/asan && ctest --output-on-failure -j "$(nproc)" "$@")

if [ "${MAJORDOMO_SKIP_TSAN:-0}" != 1 ]; then
  # The tests that share one LLM, cascade or logger between threads ([threads]), and the rest of
  # the middleware and logging suites, whose writer and retry paths run on background threads.
  # Poco itself is not instrumented: races inside Poco are not seen.
  bash scripts/build.sh tsan core_middleware_tests core_logging_tests
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
  echo "== ThreadSanitizer: middleware and logging tests"
  build/tsan/tests/core/core_middleware_tests
  build/tsan/tests/core/core_logging_tests
fi

if [ "${MAJORDOMO_SKIP_FUZZ:-0}" != 1 ]; then
  # Every libFuzzer target, briefly, from the fixture seeds and the corpus kept in build/fuzz: a
  # crash, leak, hang or sanitizer report fails the run (scripts/fuzz.sh prints the figures).
  echo "== Fuzz smoke: every libFuzzer target for ${MAJORDOMO_FUZZ_SMOKE_SECONDS:-8} s"
  MAJORDOMO_FUZZ_JOBS="${MAJORDOMO_FUZZ_JOBS:-2}" MAJORDOMO_FUZZ_NICE="${MAJORDOMO_FUZZ_NICE:-0}" \
    bash scripts/fuzz.sh "${MAJORDOMO_FUZZ_SMOKE_SECONDS:-8}"
fi
