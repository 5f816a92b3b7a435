#!/usr/bin/env bash
# libvnetrss.a from SwiftPM's archive of the package's objects: one relocatable object holding
# those objects, the Swift runtime's registration object and the static Swift runtime libraries
# they need, with every global symbol but the vnet_rss_* functions made local, so a C program
# links it with nothing but the system libraries in vnetrss-static.pc.
# Usage: scripts/static-archive.sh PACKAGE_ARCHIVE OUTPUT
set -euo pipefail
input=$1
output=$2
runtime=$(dirname "$(dirname "$(command -v swift)")")/lib/swift_static/linux
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ld -r -o "$tmp/combined.o" "$runtime/x86_64/swiftrt.o" --whole-archive "$input" --no-whole-archive -L"$runtime" \
    -lswift_StringProcessing -lswift_RegexParser -lswift_Concurrency -lswiftSynchronization -lswiftGlibc \
    -lswift_Builtin_float -lswiftCore -ldispatch -lBlocksRuntime
nm "$tmp/combined.o" | awk '$2 == "T" && $3 ~ /^vnet_rss_/ { print $3 }' > "$tmp/exports"
objcopy --strip-debug --keep-global-symbols="$tmp/exports" "$tmp/combined.o" "$tmp/vnetrss.o"
rm -f "$output"
ar rcs "$output" "$tmp/vnetrss.o"
echo "static-archive: $output, $(wc -l < "$tmp/exports") functions global"
