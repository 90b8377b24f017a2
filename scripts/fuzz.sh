#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, build/fuzz) and runs each for SECONDS (default 60), failing on a crash.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 600 fuzz_schema
# Per target it prints executions, coverage (edges) and crashes. Corpora grow in build/fuzz/corpus/<target>
# (kept between runs; the fixtures seed them), crash inputs land in build/fuzz/crashes/<target>.
# MAJORDOMO_FUZZ_JOBS=N runs N targets at once (default 1); MAJORDOMO_FUZZ_NICE=N their niceness (default 19).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
shift || true
build=build/fuzz
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
       -DMAJORDOMO_FUZZ=ON -DMAJORDOMO_BUILD_SHARED=OFF -DMAJORDOMO_WERROR=OFF
       -DMAJORDOMO_BUILD_TESTS=OFF -DMAJORDOMO_BUILD_BENCH=OFF
       # Modules the targets do not load (the TLS module) still link with --no-undefined: against
       # the shared sanitizer runtime, which defines what the instrumentation calls.
       -DCMAKE_MODULE_LINKER_FLAGS=-shared-libasan -DCMAKE_SHARED_LINKER_FLAGS=-shared-libasan)
if command -v ccache >/dev/null; then flags+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build" -j "$(nproc)" --target fuzz_all

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for program in "$build"/fuzz/bin/fuzz_*; do targets+=("$(basename "$program")"); done
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/fuzz/logs"

run_one() {
  local target="$1" seeds corpus crashes log
  seeds="$build/fuzz/seeds/${target#fuzz_}"
  corpus="$build/fuzz/corpus/$target"
  crashes="$build/fuzz/crashes/$target"
  log="$build/fuzz/logs/$target.log"
  rm -rf "$crashes"
  mkdir -p "$corpus" "$crashes" "$seeds"
  # -rss_limit_mb: ASan's shadow plus a decoder's bounded buffers; -timeout: one input that runs
  # this long is a hang (the targets have no sleeps and their sockets time out after 2-5 s; 30 s
  # leaves room for a niced run starved by other work on a shared machine).
  nice -n "${MAJORDOMO_FUZZ_NICE:-19}" "$build/fuzz/bin/$target" "$corpus" "$seeds" \
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$crashes/" >"$log" 2>&1 || true
}

pids=()
for target in "${targets[@]}"; do
  run_one "$target" &
  pids+=($!)
  if [ ${#pids[@]} -ge "${MAJORDOMO_FUZZ_JOBS:-1}" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
done
for pid in "${pids[@]}"; do wait "$pid"; done

status=0
printf '%-24s %12s %8s %8s %8s  %s\n' target executions exec/s edges corpus crashes
for target in "${targets[@]}"; do
  log="$build/fuzz/logs/$target.log"
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)"
  edges="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)"
  units="$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || true)"
  found="$(find "$build/fuzz/crashes/$target" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"
  # A run that ended without final stats died (a crash, or the fuzzer could not start).
  if [ "$found" -gt 0 ] || [ -z "$execs" ]; then status=1; fi
  printf '%-24s %12s %8s %8s %8s  %s\n' "$target" "${execs:-?}" "${rate:-?}" "${edges:-?}" "${units:-?}" "$found"
done
[ "$status" = 0 ] || echo "fuzz.sh: crashes or failed runs: see $build/fuzz/crashes and $build/fuzz/logs" >&2
exit "$status"
