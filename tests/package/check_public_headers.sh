#!/usr/bin/env bash
# Proves the public C++ headers reach no third-party header: the compiler's own dependency list (-M) of each.
#   check_public_headers.sh CXX CORE_INCLUDE SDK_INCLUDE GENERATED_INCLUDE
# Debian installs Poco, Boost, simdjson, valijson and fmt under /usr/include, which every compiler
# searches, so "no Poco include path" proves nothing; the dependency list shows every file a
# header really opens. Each public header is checked alone (and must compile alone), then the
# umbrella and logging headers together. The detector is first shown to catch a Poco and an fmt
# include, so a broken pattern cannot pass vacuously.
set -euo pipefail
cxx="$1"
core_include="$2"
sdk_include="$3"
generated_include="$4"
includes=(-I "$core_include" -I "$sdk_include" -I "$generated_include")
forbidden='(^|/)(poco|boost|valijson|fmt)/|simdjson'
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The third-party headers a translation unit opens, one per line (none: empty output).
third_party_dependencies() {
  local tu="$1"
  "$cxx" -std=c++20 -M "${includes[@]}" "$tu" | tr ' \\' '\n\n' | grep -v '^$' | grep -Ei "$forbidden" || true
}

failures=0
check_tu() {
  local name="$1" tu="$2"
  local found
  found="$(third_party_dependencies "$tu")"
  if [[ -n "$found" ]]; then
    echo "FAIL: $name reaches third-party headers:"
    sed 's/^/  /' <<<"$found" | head -20
    failures=$((failures + 1))
  fi
  # Self-contained and warning-free as an embedder compiles it.
  if ! "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror "${includes[@]}" "$tu"; then
    echo "FAIL: $name does not compile on its own"
    failures=$((failures + 1))
  fi
}

# The detector itself: it must see these.
printf '#include <Poco/Foundation.h>\n' >"$work/poco.cpp"
printf '#include <fmt/format.h>\n' >"$work/fmt.cpp"
for control in poco fmt; do
  if [[ -z "$(third_party_dependencies "$work/$control.cpp")" ]]; then
    echo "FAIL: the check does not detect a $control include; it cannot be trusted"
    exit 1
  fi
done

headers=("$core_include"/majordomo/*.hpp)
if ((${#headers[@]} < 10)); then
  echo "FAIL: found only ${#headers[@]} public headers under $core_include/majordomo"
  exit 1
fi
for header in "${headers[@]}"; do
  name="majordomo/$(basename "$header")"
  printf '#include <%s>\n' "$name" >"$work/one.cpp"
  check_tu "$name" "$work/one.cpp"
done
printf '#include <majordomo/majordomo.hpp>\n#include <majordomo/logging.hpp>\nint main() { return majordomo::version().empty() ? 1 : 0; }\n' \
  >"$work/application.cpp"
check_tu "an application including majordomo.hpp and logging.hpp" "$work/application.cpp"

if ((failures > 0)); then
  echo "$failures failure(s)"
  exit 1
fi
echo "ok: ${#headers[@]} public headers and the umbrella reach no Poco, Boost, simdjson, valijson or fmt header"
