#!/usr/bin/env bash
# Checks what a shared majordomo library exports: its SONAME, the public API present, and nothing
# else (no internal namespace, no Poco/fmt/simdjson/Boost/standard-library symbol).
#   check_exports.sh LIBRARY EXPECTED_SONAME REQUIRED_SYMBOL...
set -euo pipefail
library="$1"; soname="$2"; shift 2
[ -f "$library" ] || { echo "no library at $library" >&2; exit 1; }

actual_soname="$(readelf -dW "$library" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$actual_soname" = "$soname" ] || { echo "SONAME is '$actual_soname', expected '$soname'" >&2; exit 1; }

# Defined dynamic symbols, demangled, without the linker's own markers.
symbols="$(nm -D --defined-only -C "$library" | cut -d' ' -f3- | grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u)"
[ -n "$symbols" ] || { echo "$library exports nothing" >&2; exit 1; }

public='^((typeinfo|typeinfo name|vtable|VTT|construction vtable) for |(non-)?virtual thunk to )?majordomo::'
foreign="$(grep -vE "$public" <<<"$symbols" || true)"
internal="$(grep -E 'majordomo::(resolution|catalog|install_layout|log_schema|log_text|sdk|detail|fake|plugin_support)::|majordomo::(discover_plugins|elf_problem|plugin_search_path)\(|majordomo::LoadedPlugin|::Impl\b' <<<"$symbols" || true)"
status=0
if [ -n "$foreign" ]; then
  echo "$library exports symbols outside the public API:" >&2; echo "$foreign" | head -40 >&2; status=1
fi
if [ -n "$internal" ]; then
  echo "$library exports majordomo internals:" >&2; echo "$internal" | head -40 >&2; status=1
fi
for required in "$@"; do
  grep -qF -- "$required" <<<"$symbols" || { echo "$library does not export $required" >&2; status=1; }
done
[ "$status" = 0 ] && echo "$(basename "$library"): SONAME $soname, $(wc -l <<<"$symbols") public symbols, nothing else"
exit "$status"
