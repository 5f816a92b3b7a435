#!/usr/bin/env bash
# The hand-maintained include/vnet_rss.h against what the Swift implementation declares.
#  1. Both headers in one C translation unit: a prototype that differs in any type is a
#     "conflicting types" error.
#  2. The same functions on both sides: none missing from the library, none undocumented.
#  3. The shared library exports exactly those functions.
# Usage: scripts/abi-check.sh GENERATED_HEADER LIBRARY
set -euo pipefail
generated=$(realpath "$1")
library=$2
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '#include "vnet_rss.h"\n#include "%s"\n' "$generated" > "$tmp/both.c"
clang -std=c11 -fsyntax-only -Werror -Wno-unknown-pragmas -Wno-unused-command-line-argument \
    -I "$here/include" "$tmp/both.c"

grep -oE '^[a-z_0-9 ]+\*? ?vnet_rss_[a-z_]+\(' "$here/include/vnet_rss.h" | grep -oE 'vnet_rss_[a-z_]+' | sort -u > "$tmp/header"
grep -E '^SWIFT_EXTERN' "$generated" | grep -oE 'vnet_rss_[a-z_]+\(' | tr -d '(' | sort -u > "$tmp/swift"
nm -D --defined-only --extern-only "$library" | awk '{print $3}' | sed 's/@.*//' | grep -v '^VNETRSS' | sort -u > "$tmp/exported"
if ! diff -u "$tmp/header" "$tmp/swift"; then echo "abi-check: vnet_rss.h and the Swift @c functions differ" >&2; exit 1; fi
if ! diff -u "$tmp/header" "$tmp/exported"; then echo "abi-check: the library exports other functions than vnet_rss.h declares" >&2; exit 1; fi
echo "abi-check: $(wc -l < "$tmp/header") functions, prototypes identical in vnet_rss.h and the Swift module, exactly these exported"
