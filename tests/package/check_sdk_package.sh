#!/usr/bin/env bash
# Installs the build into a temporary prefix, builds sdk/example out of tree with
# find_package(MajordomoSDK), and checks that the installed CLI loads the resulting plugin.
set -euo pipefail
build_dir="$1"; source_dir="$2"; extra_flags="${3:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/sdk/example" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="$extra_flags" -DCMAKE_MODULE_LINKER_FLAGS="$extra_flags" >/dev/null
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
plugin="$work/build/libmajordomo-example.so"
[ -f "$plugin" ] || { echo "no plugin built at $plugin" >&2; exit 1; }
exported="$(nm -D --defined-only "$plugin" | awk '{print $3}' | grep -v '^_' | sort | tr '\n' ' ')"
[ "$exported" = "majordomo_plugin_entry " ] || { echo "plugin exports more than its entry: $exported" >&2; exit 1; }
mkdir -p "$work/plugins" && cp "$plugin" "$work/plugins/"
listing="$("$work/prefix/bin/majordomo" plugins --plugin-dir "$work/plugins" --output json)"
echo "$listing"
echo "$listing" | grep -q '"provider":"example"' || { echo "the installed CLI did not load the example plugin" >&2; exit 1; }
echo "$listing" | grep -q '"provider":"openai"' || { echo "the installed CLI did not find the installed openai plugin" >&2; exit 1; }
echo "sdk package: ok"
