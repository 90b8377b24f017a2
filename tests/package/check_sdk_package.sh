#!/usr/bin/env bash
# A plugin author's afternoon, with nothing but an install: installs the build into a temporary
# prefix, builds the installed example plugin (share/majordomo/examples/acme) and a `majordomo
# plugin new` skeleton out of tree with find_package(MajordomoSDK 0.4), and asks through the
# installed, unmodified CLI and the installed majordomo-fake on 127.0.0.1: JSON, stream, errors.
# Every installed program runs with an empty environment (PATH and sanitizer options only).
#   check_sdk_package.sh BUILD_DIR SOURCE_DIR [EXTRA_FLAGS]
# EXTRA_FLAGS go to the plugins' compile and link lines (the sanitizers of an instrumented build).
set -euo pipefail
build_dir="$1"; source_dir="$2"; extra_flags="${3:-}"
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/fake_child.sh"
begin_work_dir
fail() { echo "check_sdk_package: $*" >&2; exit 1; }

prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" >/dev/null
majordomo="$prefix/bin/majordomo"
clean_env=(env -i "PATH=$PATH")
for name in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
  if [ -n "${!name:-}" ]; then clean_env+=("$name=${!name}"); fi
done
installed() { "${clean_env[@]}" "$@"; }

# Configures and builds one plugin out of tree against the installed SDK, warnings as errors.
build_plugin() {  # SOURCE_DIR BUILD_DIR
  if ! { cmake -S "$1" -B "$2" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
           -DCMAKE_CXX_FLAGS="$extra_flags -Wall -Wextra -Werror" -DCMAKE_MODULE_LINKER_FLAGS="$extra_flags" &&
         cmake --build "$2"; } >"$2.log" 2>&1; then
    cat "$2.log" >&2
    fail "building $1 against the installed SDK failed"
  fi
}

exports_only_entry() {  # PLUGIN
  local exported
  exported="$(nm -D --defined-only "$1" | awk '{print $3}' | grep -v '^_' | sort | tr '\n' ' ')"
  [ "$exported" = "majordomo_plugin_entry " ] || fail "$1 exports more than its entry: $exported"
}

# ---- the installed example, built out of tree straight from share/ ----
example_src="$prefix/share/majordomo/examples/acme"
for file in CMakeLists.txt acme_plugin.cpp README.md; do
  [ -f "$example_src/$file" ] || fail "the example is not installed: no $example_src/$file"
done
build_plugin "$example_src" "$work/acme-build"
acme_so="$work/acme-build/libmajordomo-acme.so"
[ -f "$acme_so" ] || fail "no plugin built at $acme_so"
exports_only_entry "$acme_so"

# ---- a skeleton written by the installed CLI ----
installed "$majordomo" plugin new my-llm --dir "$work/my-llm" >"$work/plugin-new.out" ||
  fail "plugin new failed: $(cat "$work/plugin-new.out")"
grep -q -- "-DCMAKE_PREFIX_PATH=$prefix " "$work/plugin-new.out" ||
  fail "plugin new did not name the installed prefix: $(cat "$work/plugin-new.out")"
build_plugin "$work/my-llm" "$work/my-llm/build"
skeleton_so="$work/my-llm/build/libmajordomo-my-llm.so"
[ -f "$skeleton_so" ] || fail "no plugin built at $skeleton_so"
exports_only_entry "$skeleton_so"

# ---- the installed majordomo-fake, stopped by PID ----
key="acme-package-key-4321"
# Started directly (not through a function, which would fork a subshell): $! is the fake's own
# PID, env(1) exec()ing into it.
"${clean_env[@]}" "$prefix/bin/majordomo-fake" --no-fixtures --port 0 --port-file "$work/port" --api-key "$key" \
  >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
# Bounded: up to 20 s for a sanitized start.
wait_for_port_file "$work/port" 200 0.1 || case $? in
  1) fail "majordomo-fake exited: $(cat "$work/fake.err")" ;;
  *) fail "majordomo-fake wrote no port file" ;;
esac
origin="http://127.0.0.1:$(cat "$work/port")"
curl -fsS "$origin/_fake/health" >/dev/null || fail "majordomo-fake is not healthy"

# Asks and checks an answer of the built-in reply: text, usage, and cost at acme-swift's prices
# (0.40 and 1.60 USD per million input and output tokens).
check_answer() {  # JSON LABEL
  jq -e --arg label "$2" '
    .content == "Hello from majordomo-fake (acme)." and .model == "acme-swift-2025-06" and
    .stop_reason == "end_turn" and .usage.output_tokens == 5 and .usage.input_tokens > 0 and
    (.cost.input - .usage.input_tokens * 0.40 / 1e6 | fabs) < 1e-12 and
    (.cost.output - 5 * 1.60 / 1e6 | fabs) < 1e-12 and
    (.cost.total - .cost.input - .cost.output | fabs) < 1e-12 and
    (.request_id | startswith("req_acme_"))' <<<"$1" >/dev/null || fail "$2: unexpected answer: $1"
}

ask() {  # PROVIDER [ARGS...]
  local provider="$1"; shift
  installed "$majordomo" ask --provider "$provider" --model acme-swift --base-url "$origin" --api-key "$key" "$@"
}

# 1. The example from its build directory (--plugin-dir), JSON and stream.
check_answer "$(ask acme --plugin-dir "$work/acme-build" --output json "Hello")" "example via --plugin-dir"
check_answer "$(ask acme --plugin-dir "$work/acme-build" --stream --output json "Hello")" "example via --plugin-dir, stream"

# 2. The example dropped into the installed plugin directory: found with no flag at all.
cp "$acme_so" "$prefix/lib/majordomo/plugins/"
listing="$(installed "$majordomo" plugins --output json)"
jq -e --arg dir "$prefix/lib/majordomo/plugins" '
  (.plugins | map(select(.provider == "acme" and (.path | startswith($dir)))) | length) == 1 and
  (.plugins | map(select(.provider == "openai")) | length) == 1' <<<"$listing" >/dev/null ||
  fail "the installed CLI did not load the example from its plugin directory: $listing"
check_answer "$(ask acme --output json "Hello")" "example in the plugin directory"
check_answer "$(ask acme --stream --output json "Hello")" "example in the plugin directory, stream"
text="$(ask acme --stream "Hello")"
[ "$text" = "Hello from majordomo-fake (acme)." ] || fail "streamed text: '$text'"

# 3. Errors: a wrong key (auth), a model Acme does not know (404), a 503 retried after its hint.
set +e
wrong="$(installed "$majordomo" ask --provider acme --model acme-swift --base-url "$origin" \
           --api-key not-the-key-0000 --output json "Hello" 2>"$work/wrong.err")"
code=$?
set -e
[ "$code" = 1 ] || fail "a wrong key exited $code, not 1"
jq -e '.error.kind == "authentication" and .error.http_status == 401 and .error.provider == "acme"' \
  <<<"$wrong" >/dev/null || fail "a wrong key: $wrong"
if grep -q not-the-key-0000 "$work/wrong.err" || grep -q not-the-key-0000 <<<"$wrong"; then
  fail "the key was printed"
fi
set +e
unknown="$(installed "$majordomo" ask --provider acme --model nonesuch --base-url "$origin" --api-key "$key" \
             --output json "Hello" 2>/dev/null)"
code=$?
set -e
[ "$code" = 1 ] || fail "an unknown model exited $code, not 1"
jq -e '.error.kind == "not_found" and .error.http_status == 404' <<<"$unknown" >/dev/null ||
  fail "an unknown model: $unknown"
curl -fsS -X POST "$origin/_fake/responses" -H 'Content-Type: application/json' \
  -d '{"status":503,"body":"{\"error\":{\"code\":\"overloaded\",\"message\":\"busy\",\"retry_in_ms\":25}}"}' \
  >/dev/null || fail "cannot script majordomo-fake"
retried="$(ask acme --output json "Hello")"
check_answer "$retried" "after a 503"
jq -e '.failed_attempts | length == 1 and .[0].kind == "overloaded" and .[0].http_status == 503 and
       .[0].waited_ms == 25' <<<"$retried" >/dev/null || fail "the retry hint was not honoured: $retried"

# 4. The skeleton, loaded with --plugin-dir: a provider of its own that still speaks Acme.
listing="$(installed "$majordomo" plugins --plugin-dir "$work/my-llm/build" --output json)"
jq -e '(.plugins | map(select(.provider == "my-llm")) | length) == 1' <<<"$listing" >/dev/null ||
  fail "the installed CLI did not load the skeleton: $listing"
check_answer "$(ask my-llm --plugin-dir "$work/my-llm/build" --output json "Hello")" "skeleton"
check_answer "$(ask my-llm --plugin-dir "$work/my-llm/build" --stream --output json "Hello")" "skeleton, stream"
dry="$(installed "$majordomo" ask --plugin-dir "$work/my-llm/build" --provider my-llm --model acme-swift \
         --api-key "$key" --dry-run "Hello")"
grep -q '^POST https://api.my-llm.example/v1/answers$' <<<"$dry" || fail "skeleton dry run: $dry"

# The installed fake stops cleanly on SIGTERM (under the sanitizers: without a leak report).
kill "$fake_pid"
status=0
wait "$fake_pid" || status=$?
fake_pid=""
[ "$status" = 0 ] || fail "majordomo-fake exited $status on SIGTERM: $(tail -5 "$work/fake.err")"

echo "sdk package: the installed example and a plugin new skeleton build and answer through the installed CLI"
