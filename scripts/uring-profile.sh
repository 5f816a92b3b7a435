#!/usr/bin/env bash
# Where the engine's reader spends its CPU per frame on read() and on io_uring (multishot read
# with provided buffers), by kernel and user function, from perf's cpu-clock samples of the
# reader thread (vnet-rss-rx0) over a drained 1-queue tap of 64-byte frames.
#
# Samples are taken at FREQUENCY Hz; a sample stands for 1e9 / FREQUENCY ns of the thread's CPU,
# so a function's ns per frame is samples x (1e9 / FREQUENCY) / frames read. The machine needs
# no hardware counters for this (cpu-clock is a software event).
#
# Usage (root, perf from linux-perf): scripts/uring-profile.sh [FRAMES] [ROUNDS] [TOP]
set -euo pipefail
cd "$(dirname "$0")/.."
frames="${1:-200000}"
rounds="${2:-5}"
top="${3:-25}"
frequency=4000
command -v perf >/dev/null || { echo "uring-profile.sh: perf is missing (apt-get install -y linux-perf)" >&2; exit 2; }
swift build -c release --product vnet-rss >/dev/null
bin="$(swift build -c release --show-bin-path)/vnet-rss"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for variant in read uring; do
    perf record -q -e cpu-clock -F "$frequency" -a -g -o "$work/$variant.data" -- \
        "$bin" bench --queues 1 --sizes 64 --variants "$variant" --rounds "$rounds" --shared-core-rounds 0 \
        --frames "$frames" --quiet --format json >/dev/null 2>"$work/$variant.err" || { cat "$work/$variant.err" >&2; exit 1; }
    perf report -i "$work/$variant.data" -n --no-children --sort comm,sym -g none --stdio 2>/dev/null \
        | grep -E '^\s+[0-9.]+%' | awk -v per="$(awk -v f="$frequency" -v n="$((frames * rounds))" 'BEGIN { print 1e9 / f / n }')" \
            '$3 == "vnet-rss-rx0" { sym = $5; for (i = 6; i <= NF; i++) sym = sym " " $i; printf "%8.1f  %s %s\n", $2 * per, $4, substr(sym, 1, 72) }' \
        >"$work/$variant.txt"
    total=$(awk '{ s += $1 } END { printf "%.0f", s }' "$work/$variant.txt")
    echo "== engine reader on $variant: $total ns per frame in samples; top $top functions (ns per frame)"
    head -n "$top" "$work/$variant.txt"
    echo
done
