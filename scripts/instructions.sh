#!/usr/bin/env bash
# User-space instructions per frame on a live tap, counted by callgrind: the bare read() loop
# against the engine on its read() reader (drain mode, 64-byte frames, one round).
#
# Nanoseconds on this shared machine move by 5-10% from one round to the next, more than the
# engine adds to the kernel's read path; instruction counts do not move. They leave out the
# kernel (the same read() for both) and say nothing of cache misses, so they complement
# `vnet-rss bench`, they do not replace it.
#
# Valgrind's virtual CPU has no AVX-512: the engine hashes with the method given here (default
# clmul; tables and per-bit also run under valgrind), not with GFNI.
#
# Usage (root, valgrind installed): scripts/instructions.sh [FRAMES] [QUEUES] [METHOD]
set -euo pipefail
cd "$(dirname "$0")/.."
frames="${1:-20000}"
queues="${2:-1}"
method="${3:-clmul}"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is missing (apt-get install -y valgrind)" >&2; exit 2; }

swift build -c release --product vnet-rss >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Valgrind 3.19 cannot read the DWARF 5 of Swift 6 binaries: count a copy without it.
objcopy --strip-debug "$(swift build -c release --show-bin-path)/vnet-rss" "$work/vnet-rss"

VNET_RSS_TOEPLITZ="$method" valgrind --tool=callgrind --callgrind-out-file="$work/callgrind.out" \
    "$work/vnet-rss" bench --queues "$queues" --sizes 64 --variants bare,read --rounds 1 --shared-core-rounds 0 --frames "$frames" \
    --format json --json-file "$work/bench.json" --quiet >/dev/null 2>"$work/valgrind.log" \
    || { cat "$work/valgrind.log" >&2; exit 1; }
callgrind_annotate --inclusive=yes --threshold=100 "$work/callgrind.out" >"$work/inclusive.txt" 2>/dev/null
[ -n "${INSTRUCTIONS_KEEP:-}" ] && cp "$work/inclusive.txt" "$INSTRUCTIONS_KEEP"

python3 - "$work/bench.json" "$work/inclusive.txt" "$method" "$queues" <<'EOF'
import json, re, sys
bench, inclusive, method, queues = sys.argv[1:]
frames = {row["variant"]: row["frames"] for row in json.load(open(bench))["results"]}
# Inclusive counts of each reader thread's body: the bare loop's thread closure, the engine's reader run.
bodies = {"bare": r"BaselineReaderO5drain.*U_$", "read": r"QueueReaderC3run_9stopEvent10deviceName.*KindO_s5Int32VSStF$"}
counts = {}
for line in open(inclusive):
    match = re.match(r"\s*([\d,]+)\s+\([^)]*\)\s+\S*?:(\S+)", line)
    if not match:
        continue
    for variant, pattern in bodies.items():
        if variant not in counts and re.search(pattern, match.group(2).split(" ")[0]):
            counts[variant] = int(match.group(1).replace(",", ""))
missing = [variant for variant in bodies if variant not in counts or not frames.get(variant)]
if missing:
    sys.exit(f"instructions.sh: no count for {', '.join(missing)} in the callgrind output")
bare = counts["bare"] / frames["bare"]
engine = counts["read"] / frames["read"]
print(f"user-space instructions per frame, {queues} queue(s), 64-byte frames, engine Toeplitz {method} (callgrind)")
print(f"  bare read() loop  {bare:8.1f}  ({counts['bare']:,} over {frames['bare']:,} frames)")
print(f"  engine, read()    {engine:8.1f}  ({counts['read']:,} over {frames['read']:,} frames, the benchmark's inline handler included)")
print(f"  engine adds       {engine - bare:8.1f}")
EOF
