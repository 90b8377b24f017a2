#!/usr/bin/env bash
# An embedder's view of majordomo: install, move the installed tree, build an application against
# it with find_package(Majordomo 0.6) and with pkg-config, and run both against majordomo-fake from
# the moved tree over https (a test CA made here), with no MAJORDOMO_* variable set.
#   check_embedding.sh BUILD_DIR SOURCE_DIR "SANITIZER_FLAGS" "HEADER_PACKAGES"
# HEADER_PACKAGES: third-party packages the public headers are declared to include
# (MAJORDOMO_PUBLIC_HEADER_POCO_COMPONENTS non-empty: "Poco"; else ""). Anything else reached
# from <majordomo/majordomo.hpp> or <majordomo/logging.hpp> fails the test, and so does a declared
# package the headers no longer include (the declaration must then be emptied).
set -euo pipefail
build_dir="$1"; source_dir="$2"; extra_flags="${3:-}"; header_packages="${4:-}"

# Nothing from the environment may help the installed tree find its files, or route loopback.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^MAJORDOMO_' || true)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY PKG_CONFIG_PATH

source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/fake_child.sh"
begin_work_dir /tmp/majordomo-embed-XXXXXX
fail() { echo "check_embedding: $*" >&2; exit 1; }

echo "== install, then move the installed tree"
cmake --install "$build_dir" --prefix "$work/installed" >/dev/null
mv "$work/installed" "$work/moved"
prefix="$work/moved"
if grep -rlF "$work/installed" "$prefix" >"$work/stale" 2>/dev/null; then
  fail "installed files name the prefix they were installed to (not relocatable): $(tr '\n' ' ' <"$work/stale")"
fi
[ "$("$prefix/bin/majordomo-fake" --version)" = "majordomo-fake $(sed -n 's/^#define MAJORDOMO_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/majordomo/version.hpp")" ] ||
  fail "majordomo-fake --version does not print the installed version"

echo "== a test CA and a server certificate for 127.0.0.1"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" -days 2 -subj /CN=embed-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/server.key" -out "$work/server.csr" -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
  -out "$work/server.pem" -days 2 -extfile "$work/server.ext" 2>/dev/null

echo "== majordomo-fake from the moved tree, on https"
"$prefix/bin/majordomo-fake" --host 127.0.0.1 --port 0 --port-file "$work/port" \
  --tls-cert "$work/server.pem" --tls-key "$work/server.key" >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
wait_for_port_file "$work/port" || case $? in
  1) cat "$work/fake.err" >&2; fail "majordomo-fake exited before listening" ;;
  *) fail "majordomo-fake did not write its port within 10 s" ;;
esac
origin="https://127.0.0.1:$(cat "$work/port")"
if [ -d "$prefix/share/majordomo/fixtures" ]; then
  grep -qF "fixtures from $prefix/share/majordomo/fixtures" "$work/fake.err" ||
    fail "majordomo-fake did not use the installed fixtures: $(cat "$work/fake.err")"
fi

# The third-party headers an application's translation unit reached (from a make-style .d file or
# `ninja -t deps`), checked against what the build declares the public headers to include.
check_headers() {
  local deps="$1" what="$2"
  local foreign
  foreign="$(grep -oE '[^ ]*/(boost|simdjson|fmt|valijson|Poco)/[^ ]*|[^ ]*/simdjson\.h' "$deps" | sort -u || true)"
  local undeclared="$foreign"
  if [ "$header_packages" = "Poco" ]; then
    undeclared="$(grep -v '/Poco/' <<<"$foreign" || true)"
    grep -q '/Poco/' <<<"$foreign" ||
      fail "$what: the public headers no longer include Poco: empty MAJORDOMO_PUBLIC_HEADER_DEPENDENCIES (core/CMakeLists.txt)"
  fi
  [ -z "$undeclared" ] || fail "$what: the public headers reach third-party headers: $(head -5 <<<"$undeclared" | tr '\n' ' ')"
}

# A program that linked the static host outside the installed tree cannot know where that tree
# is: it is given the plugin directory (docs/install.md). The shared host finds it by itself.
plugin_dir_arg=()
[ -e "$prefix/lib/libmajordomo.so" ] || plugin_dir_arg=("$prefix/lib/majordomo/plugins")

run_app() {
  local app="$1" name="$2"
  curl -fsS --cacert "$work/ca.pem" -X POST "$origin/_fake/responses" \
    -d '{"status":429,"path_contains":"/v1/messages","body":"{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Rate limited (embedding test)\"}}"}' >/dev/null
  "$app" "$origin" "$work/ca.pem" "$work/$name.db" "$prefix" "${plugin_dir_arg[@]}" ||
    fail "$name: the embedding application failed"
}

cxx_flags="-Wall -Wextra -Werror $extra_flags"

echo "== find_package(Majordomo 0.6): build and run"
cmake -S "$source_dir/tests/package/embed" -B "$work/cmake-app" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$extra_flags" \
  >"$work/cmake-app.log" 2>&1 || { cat "$work/cmake-app.log" >&2; fail "configuring with find_package(Majordomo 0.6) failed"; }
cmake --build "$work/cmake-app" >"$work/cmake-build.log" 2>&1 || { cat "$work/cmake-build.log" >&2; fail "building with find_package failed"; }
ninja -C "$work/cmake-app" -t deps >"$work/cmake-app.deps"
check_headers "$work/cmake-app.deps" "find_package build"
grep -qF "$prefix/include" "$work/cmake-app.deps" || fail "find_package build: the headers did not come from the moved tree"
run_app "$work/cmake-app/embed_app" cmake-app

echo "== pkg-config majordomo: build and run"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
libdir="$(pkg-config --variable=libdir majordomo)"
# shellcheck disable=SC2046,SC2086
g++ -std=c++20 $cxx_flags $(pkg-config --cflags majordomo-logging majordomo) -MD -MF "$work/pc-app.d" \
  "$source_dir/tests/package/embed/embed_app.cpp" -o "$work/pc-app" \
  $extra_flags $(pkg-config --libs majordomo-logging majordomo) "-Wl,-rpath,$libdir" ||
  fail "building with pkg-config majordomo failed"
check_headers "$work/pc-app.d" "pkg-config build"
grep -qF "$prefix/" "$work/pc-app.d" || fail "pkg-config build: the headers did not come from the moved tree"
run_app "$work/pc-app" pc-app

kill "$fake_pid"; wait "$fake_pid" 2>/dev/null || true; fake_pid=""
echo "embedding: ok"
