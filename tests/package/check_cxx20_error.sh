#!/usr/bin/env bash
# Each C++ header of the SDK, compiled alone under C++17, must stop first on the SDK's own "needs
# C++20" message; all of them together must compile under C++20 (the check has no false positive).
#   check_cxx20_error.sh CXX SDK_INCLUDE_DIR GENERATED_INCLUDE_DIR
set -euo pipefail
cxx="$1"; include="$2"; generated="$3"
expected='the majordomo SDK needs C++20: compile with -std=c++20'
headers=("$include"/majordomo/sdk/*.hpp)
[ "${#headers[@]}" -gt 5 ] || { echo "no SDK headers under $include" >&2; exit 1; }
all=""
for header in "${headers[@]}"; do
  name="majordomo/sdk/$(basename "$header")"
  all+="#include <$name>"$'\n'
  [ "$name" = majordomo/sdk/requires_cxx20.hpp ] && continue
  # -Wfatal-errors: the compiler stops at the first error, which is what a user reads first.
  out="$(printf '#include <%s>\n' "$name" |
         "$cxx" -std=c++17 -fsyntax-only -Wfatal-errors -x c++ -I"$include" -I"$generated" - 2>&1 || true)"
  first_error="$(grep -m1 ' error: ' <<<"$out" || true)"
  if [[ "$first_error" != *"$expected"* ]]; then
    echo "$name under -std=c++17: the first error is not the SDK's C++20 message:" >&2
    echo "$out" | head -20 >&2
    exit 1
  fi
done
if ! out="$("$cxx" -std=c++20 -fsyntax-only -x c++ -I"$include" -I"$generated" - <<<"$all" 2>&1)"; then
  echo "the SDK headers do not compile under -std=c++20:" >&2
  echo "$out" | head -20 >&2
  exit 1
fi
echo "C++20 check: ${#headers[@]} headers ok"
