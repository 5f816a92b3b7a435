#!/usr/bin/env python3
"""Writes docs/benchmarks.md from the committed benchmark outputs in docs/ and the commands
that produced them (`make benchmarks-doc`).

    scripts/benchmarks-doc.py           assemble docs/benchmarks.md from docs/
    scripts/benchmarks-doc.py --run     first run every command below (root; about 45 minutes,
                                        the soak alone 30), then assemble (`make benchmarks-live`)

Every figure in the generated page is either read from an output file here or quoted, with its
command, under "Runs without a committed output". Re-running the script on the same files
writes the same bytes."""
import json
import os
import re
import statistics
import subprocess
import sys
import textwrap

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DOCS = os.path.join(ROOT, "docs")

# The outputs and the commands that write them, as a user types them from the package root
# (`vnet-rss` is the release build: `swift build -c release`, then .build/release/vnet-rss).
MICRO = "make bench && python3 scripts/bench-table.py .build/bench.txt > docs/micro-bench.md"
LIVE = "vnet-rss bench --rounds 9 --frames 200000 --plot docs/bench.svg --json-file docs/bench.json > docs/bench.txt"
FOCUSED = ("vnet-rss bench --sizes 64 --variants bare,read --rounds 21 --frames 200000 "
           "--json-file docs/bench-64-read.json > docs/bench-64-read.txt")
SOAK = "vnet-rss bench --soak 1800 --sizes 64 --format json > docs/soak.json"
VMM = ("vnet-rss bench --scenario vmm --queues 1,2,4,8,16 --sizes 64,1514 --rounds 5 --frames 200000 "
       "--plot docs/bench-vmm.svg --json-file docs/bench-vmm.json > docs/bench-vmm.txt")
VMM_INJECT = ("vnet-rss bench --scenario vmm --mode inject --queues 1,2,4,8,16 --sizes 64 --rounds 3 --duration 1 "
              "--json-file docs/bench-vmm-inject.json > docs/bench-vmm-inject.txt")
TCP = ("vnet-rss bench --scenario tcp --queues 1,2,4,8 --rounds 5 --duration 1 "
       "--plot docs/bench-tcp.svg --json-file docs/bench-tcp.json > docs/bench-tcp.txt")
PROGRAM = ("scripts/qemu-program.py .build-guest/qemu-rss.o && vnet-rss bench --program-cost --rounds 7 "
           "--qemu-program .build-guest/qemu-rss.o --json-file docs/program-cost.json > docs/program-cost.txt")
PATHS = "python3 scripts/program-paths.py --fuzz 3000 --json docs/program-paths.json > docs/program-paths.md"
COMMANDS = [
    ("docs/micro-bench.md", MICRO),
    ("docs/bench.txt, docs/bench.json, docs/bench.svg", LIVE),
    ("docs/bench-64-read.txt, docs/bench-64-read.json", FOCUSED),
    ("docs/soak.json", SOAK),
    ("docs/bench-vmm.txt, docs/bench-vmm.json, docs/bench-vmm.svg", VMM),
    ("docs/bench-vmm-inject.txt, docs/bench-vmm-inject.json", VMM_INJECT),
    ("docs/bench-tcp.txt, docs/bench-tcp.json, docs/bench-tcp.svg", TCP),
    ("docs/program-cost.txt, docs/program-cost.json", PROGRAM),
    ("docs/program-paths.md, docs/program-paths.json", PATHS),
]

METHODS = [("gfni", "GFNI (preferred)"), ("tables", "byte tables (fallback)"),
           ("clmul", "carry-less multiply"), ("per-bit", "per-bit loop (QEMU)")]


def run_all():
    binary = os.environ.get("BIN", ".build/release/vnet-rss")
    subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True)
    for _, command in COMMANDS:
        command = re.sub(r"^vnet-rss ", binary + " ", command)
        print("+ " + command, file=sys.stderr)
        subprocess.run(["bash", "-eo", "pipefail", "-c", command], cwd=ROOT, check=True)


def read(name):
    with open(os.path.join(DOCS, name)) as handle:
        return handle.read()


def micro_rows():
    """name -> (median, best) in ns per operation, from docs/micro-bench.md."""
    rows = {}
    for line in read("micro-bench.md").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.match(r"^[0-9.]+$", cells[1]):
            rows[cells[0]] = (float(cells[1]), float(cells[2]))
    return rows


def micro_tables():
    rows = micro_rows()
    out = ["| Toeplitz, median ns per hash (best) | "
           + " | ".join(title for _, title in METHODS) + " | per-bit / GFNI |",
           "|---|" + "---:|" * (len(METHODS) + 1)]
    for size in (8, 12, 32, 36):
        for bulk, label in (("", "one at a time"), (", bulk", "bulk (1,000 per call)")):
            cells = []
            for method, _ in METHODS:
                median, best = rows[f"Toeplitz {size} B, {method}{bulk}"]
                cells.append(f"{median:.2f} ({best:.2f})")
            ratio = rows[f"Toeplitz {size} B, per-bit{bulk}"][0] / rows[f"Toeplitz {size} B, gfni{bulk}"][0]
            out.append(f"| {size} bytes, {label} | " + " | ".join(cells) + f" | {ratio:.0f} x |")
    out += ["", "| parse + hash + queue + header, median ns per frame (best) | "
            + " | ".join(title.split(" (")[0] if method != "per-bit" else title for method, title in METHODS) + " |",
            "|---|" + "---:|" * len(METHODS)]
    for shape in ("IPv4 TCP", "IPv6 TCP", "mixed IPv4/IPv6 TCP/UDP"):
        for batched, label in (("", "one frame per call"), ("batched, ", "batches of 64")):
            cells = []
            for method, _ in METHODS:
                median, best = rows[f"classify + header, {batched}{shape}, {method}"]
                cells.append(f"{median:.2f} ({best:.2f})")
            out.append(f"| {shape}, {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def span(values, digits):
    """The range of `values`, rounded half up as the bench's own table rounds."""
    if digits == 0:
        low, high = (int(min(values) + 0.5), int(max(values) + 0.5))
        return f"{low:,} to {high:,}"
    return f"{min(values):.{digits}f} to {max(values):.{digits}f}"


def fill(text, bullet=False):
    return textwrap.fill(text, width=96, subsequent_indent="  " if bullet else "",
                         break_long_words=False, break_on_hyphens=False)


def live_summary(doc):
    rows = doc["results"]

    def pick(size, variant, key):
        return [r[key] for r in rows if r["frame_size"] == size and r["variant"] == variant and r.get(key) is not None]

    lines = []
    for size in sorted({r["frame_size"] for r in rows}):
        shared = pick(size, "read", "shared_core_ratio")
        added = pick(size, "read", "added_ns_per_frame")
        bare = pick(size, "bare", "reader_cpu_ns_per_frame")
        ordinary = pick(size, "read", "ratio_to_bare")
        perbit_added = pick(size, "per-bit", "added_ns_per_frame")
        perbit_shared = pick(size, "per-bit", "shared_core_ratio")
        uring = pick(size, "uring", "shared_core_ratio") + pick(size, "uring-single", "shared_core_ratio")
        lines.append(fill(
            f"- {size}-byte frames: the engine on `read()` delivers {span(shared, 3)} of the bare "
            f"`read()` loop's frames at equal CPU (\"shared core\"), adding {span(added, 0)} ns of "
            f"reader CPU per frame to a bare read path of {span(bare, 0)} ns. The ordinary rounds' "
            f"\"vs bare\" is {span(ordinary, 3)}. The per-bit Toeplitz (what QEMU computes) adds "
            f"{span(perbit_added, 0)} ns ({span(perbit_shared, 3)} shared core); the io_uring readers "
            f"deliver {span(uring, 3)}.", bullet=True))
    four = [r["max_over_min"] for r in rows if r["queues"] == 4 and r["variant"] == "read"]
    if four:
        lines.append(fill(f"- With {doc['flows']:,} random flows the fullest of 4 receive queues "
                          f"gets {max(four):.2f} times the frames of the emptiest.", bullet=True))
    return "\n".join(lines)


def noise_summary(doc):
    row = next(r for r in doc["results"] if r["variant"] == "read" and r["queues"] == 1)
    ordinary, shared = row["round_ratios"], row["shared_core_round_ratios"]
    return fill(f"In `docs/bench-64-read.json`, 1 queue, the engine's {len(ordinary)} ordinary rounds "
            f"(`round_ratios`) ran from {min(ordinary):.3f} to {max(ordinary):.3f} of the bare loop "
            f"(standard deviation {statistics.stdev(ordinary):.3f}, median {statistics.median(ordinary):.3f}), "
            f"and its {len(shared)} shared-core rounds (`shared_core_round_ratios`) from "
            f"{min(shared):.3f} to {max(shared):.3f} (standard deviation {statistics.stdev(shared):.4f}; "
            f"mean {row['shared_core_ratio']:.3f}, interval {row['shared_core_ratio_low']:.3f} to "
            f"{row['shared_core_ratio_high']:.3f}).")


def soak_summary(doc):
    resident = [s["resident_kib"] for s in doc["samples"]]
    minutes = doc["seconds"] / 60
    return fill(f"{minutes:.0f} minutes, {doc['queues']} queues, {doc['swaps']:,} configuration swaps, "
            f"{doc['queued']:,} frames queued by the tap, {doc['delivered']:,} delivered and "
            f"{doc['engine_drops']:,} dropped by the engine (a ring full): drift {doc['drift']}. "
            f"The resident set's high-water mark went from {doc['high_water_kib_early']:,} KiB at the "
            f"5th minute to {doc['high_water_kib_end']:,} KiB at the end "
            f"({doc['high_water_growth'] * 100:+.2f}%); the resident set ranged over "
            f"{min(resident):,} to {max(resident):,} KiB in the per-minute samples. The tap itself "
            f"dropped {doc['tap_drops']:,} frames (its queues full while the injector ran flat out).")


STATIC_INTRO = """\
# Benchmarks

<!-- Written by scripts/benchmarks-doc.py (make benchmarks-doc) from the outputs in docs/.
     Edit the script, not this page. -->

Two benchmarks, separate from the tests (the tests never time anything):

```sh
make bench                                   # micro-benchmarks (package-benchmark, Benchmarks/), then a summary table
make bench BENCH_FILTER='.*Toeplitz 12 B.*'  # a subset
vnet-rss bench                               # live taps in a private namespace (root)
```

`make benchmarks-live` (root) runs every command below again and then `make benchmarks-doc`,
which writes this page from their outputs.

The committed outputs come from one run of each on 2026-11-22, on a 2-vCPU AMD EPYC VM
(Firecracker, 2.6 GHz, AVX-512 with GFNI and VPCLMULQDQ, Linux 6.18), Swift 6.3.1, release
builds. That machine is shared and noisy (the same benchmark moves by 20 to 50% between runs,
a single live round by 10 to 20%): compare rows of one run, read the best figure beside the
median, and for the engine against the bare loop read the shared-core ratio, which pairs them
on one CPU in the same milliseconds.

| output | command |
|---|---|
"""

MICRO_TEXT = """\
## Micro-benchmarks

Throughput, not latency: 1,000 operations over 1,024 random tuples, or over a batch of 64
packets in receive buffers 2,112 bytes apart, as the engine lays out its 2 KiB buffers.
{mallocs} `scripts/bench-table.py` condenses package-benchmark's output into
`docs/micro-bench.md`; the two tables below arrange its rows by method.

Command: `{command}`

{tables}

The machine's other tenants move the vector units' throughput by up to half, in phases of
seconds, so rows of one run can fall into different phases while the scalar per-bit loop moves
little: compare a row's median with its best. One GFNI hash at a time pays a call into C and
the fold of its vector for four useful bytes per lane; the bulk form fills the other half of
each lane with a second tuple. Batches are decided in three passes (parse all, hash all in one
call, steer all); frames of the four common shapes (untagged IPv4 without options or
fragmentation, untagged IPv6 without extension headers, each with TCP or UDP) are located at
fixed offsets without the general parse.

<details><summary>docs/micro-bench.md</summary>

{full}
</details>
"""

LIVE_TEXT = """\
## Live taps

Drain mode: {frames:,} frames pre-filled per round, the readers timed emptying them; {rounds}
ordinary rounds per variant, each row the variant's median round and its "vs bare" the median
of the rounds' own ratios to the bare loop; {shared} shared-core rounds per engine variant,
"shared core" their mean ± its 95% interval and "added ns" from the same rounds. The engine
delivers inline, one handler call per batch, to a handler that does nothing, as the bare loop
does nothing. `docs/bench.json` holds every field and every round; `docs/bench.svg` plots
frames/s against queue count.

Command: `{command}`

```
{table}```

From `docs/bench.json`:

{summary}

The focused run: only the bare loop and the engine on `read()` at 64 bytes, 21 rounds of each
kind.

Command: `{focused_command}`

```
{focused}```

### Round-to-round noise

One round differs from the next on a shared host whatever the code: the vCPU itself runs
slower or faster, so the ratio of two rounds run one after the other is mostly noise, and the
shared-core rounds (bare loop and engine draining one tap at once, pinned to one CPU) are the
measure to read.

{noise}
"""

SOAK_TEXT = """\
## Soak

A 4-queue tap, the injector flat out, a configuration swap every 10 ms, a consumer draining
every queue.

Command: `{command}`

{summary}
"""

RECORDED = """\
## Runs without a committed output

These figures were read off the terminal on 2026-11-22; their commands are given so they can
be run again, but their outputs are not in docs/.

**Instructions per frame** (`scripts/instructions.sh [FRAMES] [QUEUES] [METHOD]`, root and
valgrind): callgrind counts the user-space instructions of the bare loop's reader thread and of
the engine's over one drained round of 64-byte frames. Counts do not move with the machine's
other tenants, so a change to the per-frame path can be judged by them where nanoseconds
cannot; they leave out the kernel (the same `read()` in both) and cache misses. Valgrind's
virtual CPU has no AVX-512, so the engine hashes with the carry-less multiply (or the method
given) instead of GFNI. `scripts/instructions.sh 20000 1 clmul`: bare `read()` loop 61.1 per
frame; the engine 367.4 (adding 306.3). Of the 306.3, per `callgrind_annotate`: 135.2
`Classifier.process` (parse, steer, header write), 102.0 the carry-less hash, 28.6 inline
delivery and counters, 25.2 taking the burst's buffers and filling the batch, and 7.3 the read
loop beyond the bare loop's. With the byte tables (`scripts/instructions.sh 20000 1 tables`)
the engine adds 258.8.

**Where the io_uring reader's CPU goes**: in a `perf` profile of a drained round, the
multishot read's poll machinery (`tun_chr_poll`, io_uring's poll task work) and request
handling cost the reader about a quarter more CPU than the bare loop's `read()` system calls
(13.6% of samples against 11.0% for the same frames).

**A few rows of `make bench`**: `make bench BENCH_FILTER='.*Toeplitz (12|36) B, (gfni|per-bit)
\\(.*'` twice gave 12 bytes 1.54 and 1.57 ns at the median (best 1.49 and 1.51), 36 bytes 2.32
and 2.35, per-bit over GFNI 30.7 and 30.2 times.
"""

BENCH_COMMAND = """\
## How `vnet-rss bench` measures

`bench` runs in a private network namespace of its own and removes what it made. For each frame
size and queue count it creates a tap and measures, side by side in one run, with the rounds of
the variants interleaved (so a slow spell of a shared machine hits them alike):

- `bare`: one thread per tap queue calling `read()` and doing nothing with the frames, the floor;
- `read`, `uring`, `uring-single`: the engine on each reader;
- `per-bit`: the engine on `read()` with the per-bit Toeplitz loop, as QEMU computes it.

Traffic is a fixed-seed mix of IPv4/IPv6 TCP/UDP over `--flows` flows (1,024), sent through
AF_PACKET (`sendmmsg`, `PACKET_QDISC_BYPASS`); frames are `--sizes` bytes or, where their
headers need more, longer (an IPv6 TCP frame needs 74). `--mode drain` (the default) pre-fills
the tap's queues with `--frames` frames, then times the readers emptying them: the reader
alone. `--mode inject` sends from a thread for `--duration` seconds while the readers read. By
default the engine delivers inline to a handler that does nothing with the frames (one call per
batch, `.inlineBatches`), as the bare loop does nothing; `--delivery rings` has the bench's main
thread consume the rings instead.

In drain mode with inline delivery each engine variant also runs `--shared-core-rounds` rounds
(default: `--rounds`): the bare loop and the engine drain the same pre-filled tap at the same
time, every reader thread of both pinned to one CPU, taking turns every few milliseconds, so a
slow spell hits both. Each side's CPU time per frame is its cost, and bare over engine is the
engine's frames/s over the bare loop's at equal CPU (the readers are CPU-bound in drain mode).
The table's "shared core" column is their mean with its 95% interval (Student's t), and "added
ns" comes from the same rounds. A progress line goes to standard error; `--plot FILE.svg` draws
frames/s against queue count, one panel per frame size (with `--scenario vmm`, frames/s and total
CPU per frame; with `--scenario tcp`, Gbit/s and total CPU per KiB); `--json-file FILE` writes
the JSON document beside the table.

`--soak SECONDS` runs the live path instead of measuring it: a 4-queue tap, the injector flat
out, a configuration swap every 10 ms, a consumer draining every queue. Once a minute it prints
frames delivered and dropped, swaps, resident memory and its high-water mark; at the end the
frames the tap queued against those delivered and dropped (the drift must be 0) and the
high-water mark at the 5th minute against the end (`--format json` for a document).

`--format json` prints one document:

| key | meaning |
|---|---|
| `mode`, `delivery`, `frames_per_round` (drain) or `duration_seconds` (inject), `flows`, `rounds`, `shared_core_rounds`, `toeplitz` | the run (`shared_core_rounds` 0 when none ran) |
| `results[]` | one object per frame size, queue count and variant: |
| `frame_size`, `queues`, `variant` (`bare`, `read`, `uring`, `uring-single`, `per-bit`), `title` | what was measured |
| `offered` | frames the tap queued for the readers this round (those the socket took: a frame the tap drops fails its message) |
| `frames` | frames read (bare) or delivered to a receive queue (engine); `frames + engine_drops == offered` |
| `seconds`, `frames_per_second` | the variant's median round (by frames/s): from the readers' start to the last frame |
| `round_ratios` | per round, the variant's frames/s over the bare loop's in the same round (the rounds interleave the variants) |
| `ratio_to_bare` | the median of `round_ratios`: what the row compares |
| `best_frames_per_second`, `best_ratio_to_bare` | the best round, and its frames/s over the bare loop's best |
| `reader_cpu_ns_per_frame`, `process_cpu_ns_per_frame` | CPU time of the reader threads, and of the whole process, per frame |
| `shared_core_ratio`, `shared_core_ratio_low`, `shared_core_ratio_high` | engine rows, when shared-core rounds ran: the mean of `shared_core_round_ratios` and its 95% interval |
| `shared_core_round_ratios`, `shared_core_round_added_ns` | per shared-core round: bare CPU per frame over the engine's, and the engine's less the bare loop's (ns) |
| `added_ns_per_frame` | the engine's reader CPU per frame less the bare loop's: the mean of `shared_core_round_added_ns` where those rounds ran, else the median rounds' difference |
| `per_queue` | frames per receive queue (engine) or per tap queue (bare) |
| `max_over_min`, `chi_square` | the spread against an equal share: fullest over emptiest queue, and Pearson's statistic on `queues - 1` degrees of freedom (frames of one flow stay together, so it grows with frames per flow) |
| `engine_drops`, `tap_drops` | frames dropped by the engine (a ring full) and by the tap (a queue full) |
| `buffer_bytes`, `max_resident_kib` | the engine's receive buffers, and the process's resident high-water mark |

With `--scenario vmm` the document holds `scenario`, `mode`, `frames_per_round`,
`duration_seconds`, `rounds`, `flows` and `rows[]`, one per frame size, queue count and variant
(`automq`, `kernel`, `userspace`, `per-bit`), each the median round by total CPU per frame:

| key | meaning |
|---|---|
| `frames_per_second` | frames into guest memory per second |
| `vmm_cpu_ns_per_frame` | CPU of the threads a VMM runs (readers and owners) over frames delivered |
| `total_cpu_ns_per_frame` | the same plus the sender's CPU for those frames (the fill in drain mode, where a steering program runs): what the host pays |
| `fill_cpu_ns_per_frame` (drain), `sender_cpu_ns_per_frame` (inject) | the fill's or the sender's CPU per frame |
| `total_vs_automq` | `total_cpu_ns_per_frame` over the `automq` row's of the same size and queue count |
| `frames_redirected`, `frames_redirected_fraction` | frames a reader found on another receive queue's tap queue and handed across |
| `frames_dropped`, `per_queue`, `max_over_min` | engine drops, frames per receive queue, and fullest over emptiest |
| `p50_latency_us`, `p99_latency_us` (inject) | from the send stamp to the owner, median and 99th percentile |
| `rounds_total_cpu_ns_per_frame` | every round's total CPU per frame |
| `shared_core_vmm_ratio`, `shared_core_vmm_ratio_low`, `shared_core_vmm_ratio_high`, `shared_core_round_ratios` | drain mode, RSS variants, when shared-core rounds ran (`shared_core_rounds` in the document): `automq`'s VMM CPU per frame over the variant's with both on one CPU, the mean with its 95% interval, and every round |

With `--scenario tcp`: `scenario`, `duration_seconds`, `rounds`, `flows` (TCP streams) and
`rows[]`, one per queue count and variant (`automq`, `kernel`, `userspace` by default, `per-bit`
on request), each the median
window by total CPU per KiB:

| key | meaning |
|---|---|
| `gbit_per_second` | payload the guest's sockets received, in Gbit/s |
| `frames_per_second`, `payload_bytes_per_frame`, `gso_fraction` | frames into guest memory per second, payload per frame, and the share of GSO frames (`gso_type` set) |
| `vmm_cpu_ns_per_kib` | CPU of the readers and owners per KiB received, less the guest's receive they ran |
| `guest_cpu_ns_per_kib` | the guest's receive: the writes into its tap, where its stack runs |
| `total_cpu_ns_per_kib`, `total_vs_automq` | every CPU of the machine (`/proc/stat`) per KiB, and its ratio to `automq`'s |
| `frames_redirected`, `per_queue` | as above |
| `rounds_total_cpu_ns_per_kib` | every round's total CPU per KiB |
"""


VMM_TEXT = """## A VMM's receive path: RSS with hash reports against no RSS

`{command}`

What a VMM pays per frame for the whole receive path. Each receive queue has an owner thread
that copies every frame with its vnet header into a guest-memory ring of its own and signals
the guest once per batch (an eventfd write, as an irqfd). `automq` has no RSS: each tap
queue's reader is its owner and reads straight into guest memory, as VMMs without RSS do;
`kernel` lets the steering program queue each frame on its receive queue's tap queue, whose
reader is the owner and writes the hash report; `userspace` hands frames from readers to owner
threads through the engine's rings; `per-bit` is `userspace` with QEMU's bit-serial Toeplitz;
`byo` is a VMM that keeps its own datapath (docs/vmm-integration.md): `automq`'s readers, each
reading its tap queue straight into guest memory with `readv`, with the steering program attached
and each frame classified where it lies (`TapSteering`), no engine and no copy; `automq-readv` is
`automq` with `readv` instead of `read`, `byo`'s own baseline.
Drain mode: the tap is filled first (with the program attached where it steers, since it runs
as each frame enters the tap), then drained. "vmm" is the CPU of the readers and owners per
frame; "total" adds the fill's, which a host pays too. "shared core" pairs `automq` with each RSS
variant: both VMMs drain one pre-filled tap at once, all their threads pinned to one CPU, so a
slow spell of the host hits both; it is `automq`'s VMM CPU per frame over the variant's (1.0:
the same cost), the mean of the rounds with its 95% interval.

```
{table}
```

{summary}

![frames/s and total CPU per frame against tap queues, per variant and frame size](bench-vmm.svg)
"""


def vmm_summary(doc):
    rows = doc["rows"]

    def pick(size, variant, key):
        return [row[key] for row in rows if row["frame_size"] == size and row["variant"] == variant]

    kernel64 = pick(64, "kernel", "total_vs_automq")
    kernel_vmm = pick(64, "kernel", "vmm_cpu_ns_per_frame")
    user_vmm = pick(64, "userspace", "vmm_cpu_ns_per_frame")
    queues = [row["queues"] for row in rows if row["frame_size"] == 64 and row["variant"] == "kernel"]
    below = [1 - k / u for k, u, q in zip(kernel_vmm, user_vmm, queues) if q >= 4]
    redirected = max(pick(64, "kernel", "frames_redirected_fraction") + pick(1514, "kernel", "frames_redirected_fraction"))
    spread = [row["max_over_min"] for row in rows if row["frame_size"] == 64 and row["variant"] == "kernel" and row["queues"] == 4]
    shared = [row["shared_core_vmm_ratio"] for row in rows if row["variant"] == "kernel" and row.get("shared_core_vmm_ratio")]
    paired = (f" Sharing one CPU with no RSS's VMM, the kernel-steered VMM does {span(shared, 3)} of its frames at "
              "equal CPU over every size and queue count." if shared else "")
    return fill(f"At 64 bytes the kernel-steered path's total CPU per frame is {span(kernel64, 3)} times no RSS's "
                f"over 1 to 16 queues, and its VMM CPU per frame {span([b * 100 for b in below], 0)}% below userspace "
                f"steering's from 4 queues up; it redirects at most {redirected * 100:.2f}% of frames, where "
                f"userspace steering hands (n - 1)/n of them across threads. Over 4 queues and 1,024 flows the "
                f"fullest queue gets {spread[0] if spread else 0:.2f} times the emptiest's frames. At 1,514 bytes the "
                f"ratio of totals runs from {span(pick(1514, 'kernel', 'total_vs_automq'), 3)}: the fill's CPU per "
                "frame (200,000 frames of 1,514 bytes queued in the tap) doubles or triples in some rounds of either "
                "variant, and the median round moves with it; "
                "`rounds_total_cpu_ns_per_frame` in the JSON gives every round." + paired
                + " At 1,514 bytes that pairing shows what the kernel-steered VMM adds: the copy out of the engine's "
                "buffers, where `automq` reads straight into guest memory." + byo_summary(pick, rows))


def byo_summary(pick, rows):
    """The `byo` rows against `automq`, where the run has them."""
    vmm = {size: [b / a for b, a in zip(pick(size, "byo", "vmm_cpu_ns_per_frame"), pick(size, "automq", "vmm_cpu_ns_per_frame"))]
           for size in (64, 1514)}
    if not vmm[64]:
        return ""
    shared = {size: [row["shared_core_vmm_ratio"] for row in rows
                     if row["variant"] == "byo" and row["frame_size"] == size and row.get("shared_core_vmm_ratio")]
              for size in (64, 1514)}
    redirected = max(pick(64, "byo", "frames_redirected") + pick(1514, "byo", "frames_redirected"))
    paired = (f" sharing one CPU with `automq`'s readers it does {span(shared[64], 3)} of their frames at 64 bytes and "
              f"{span(shared[1514], 3)} at 1,514;" if shared[64] and shared[1514] else "")
    readv = [row["shared_core_vmm_ratio"] for row in rows
             if row["variant"] == "automq-readv" and row.get("shared_core_vmm_ratio")]
    if readv and paired:
        paired += (f" `automq-readv`, the same readers with `readv` and no RSS, does {span(readv, 3)} of them, so "
                   "about half the gap is `readv`'s vectored path in the kernel (which a VMM reading descriptor "
                   "chains pays anyway) and the rest classify and the program's placement;")
    return (f" The `byo` VMM (the VMM's own readers, the report written in guest memory) spends {span(vmm[64], 3)} "
            f"times `automq`'s VMM CPU per frame at 64 bytes and {span(vmm[1514], 3)} at 1,514 over 1 to 16 queues;"
            f"{paired} {redirected} frames were strays. Classify itself takes 32 ns per frame over one iovec in "
            "`make bench` (9.4 ns for a contiguous frame), and there is no copy.")


VMM_INJECT_TEXT = """### With a sender

`{command}`

The same VMM, receiving while a sender thread sends flat out for a second. Each frame with room
for it (past its TCP or UDP header) carries its send time; its owner reads it once the frame's
batch is in guest memory, which gives the latency. "send" is the sender's CPU per frame, where
the steering program runs; on these two CPUs the sender, the readers and the owners compete, so
CPU per frame rises with the threads for every variant.

```
{table}
```

{summary}
"""


def vmm_inject_summary(doc):
    rows = doc["rows"]
    kernel = [row for row in rows if row["variant"] == "kernel"]
    user = [row for row in rows if row["variant"] == "userspace"]
    automq = [row for row in rows if row["variant"] == "automq"]
    return fill(f"The kernel-steered path's total CPU per frame is {span([r['total_vs_automq'] for r in kernel], 3)} times "
                f"no RSS's, userspace steering's {span([r['total_vs_automq'] for r in user], 3)}. The median latency "
                f"from send to guest memory is {span([r['p50_latency_us'] for r in kernel], 0)} us with the program "
                f"steering ({span([r['p50_latency_us'] for r in automq], 0)} us without RSS) and "
                f"{span([r['p50_latency_us'] for r in user], 0)} us when readers hand frames across threads.")


TCP_TEXT = """## Full-size TCP: GSO frames to a guest's stack

`{command}`

The host's own TCP stack sends `--flows` streams (8) through a tap with TSO and USO on
(`TUNSETOFFLOAD`), so nearly every frame is a GSO frame of up to 64 KiB; the VMM's receive path
copies each into guest memory, as above, and a guest's stack, in a namespace of its own, receives
it through a second tap and answers with ACKs, which come back into the host's tap as the guest's
transmit. One window of `--duration` per round after a 300 ms warm-up. "vmm" is the CPU of the
readers and owners per KiB received, the copy into guest memory included; "guest" the guest's
receive (the writes into its tap, where its stack runs); "total" every CPU of the machine from
`/proc/stat`, the senders, the guest and softirq work included: what the host pays. The test
suite checks every frame of this path at a small size: the tap's `gso_type`, `gso_size` and
checksum fields arrive untouched, and each stream's frames carry its one hash and reach its
table queue.

```
{table}
```

{summary}

![Gbit/s and total CPU per KiB against tap queues, per variant](bench-tcp.svg)
"""


def tcp_summary(doc):
    rows = doc["rows"]

    def pick(variant, key):
        return [row[key] for row in rows if row["variant"] == variant]

    kernel, user = pick("kernel", "total_vs_automq"), pick("userspace", "total_vs_automq")
    extra = [k - a for k, a in zip(pick("kernel", "vmm_cpu_ns_per_kib"), pick("automq", "vmm_cpu_ns_per_kib"))]
    return fill(f"With the program steering, the machine's CPU per KiB is {span(kernel, 3)} times no RSS's over "
                f"{rows[0]['queues']} to {rows[-1]['queues']} queues, and userspace steering's {span(user, 3)}; "
                f"the program redirects {max(pick('kernel', 'frames_redirected'))} frames. What the kernel-steered "
                f"VMM adds over no RSS ({span(extra, 0)} ns per KiB) includes a copy `automq` does not make: "
                "`automq` reads straight into guest memory, while the engine reads into its own buffers and the "
                "owner copies each frame out. Gbit/s are what two CPUs shared by sender, VMM and guest give; "
                "compare CPU per KiB." + tcp_byo_summary(pick))


def tcp_byo_summary(pick):
    """The `byo` rows against `automq`, where the run has them."""
    byo = [b / a for b, a in zip(pick("byo", "vmm_cpu_ns_per_kib"), pick("automq", "vmm_cpu_ns_per_kib"))]
    if not byo:
        return ""
    return (f" The `byo` VMM, which reads into guest memory itself and has the report written there, spends "
            f"{span(byo, 3)} times `automq`'s VMM CPU per KiB and {span(pick('byo', 'total_vs_automq'), 3)} times "
            f"its total; {max(pick('byo', 'frames_redirected'))} frames were strays.")


PROGRAM_TEXT = """## The steering program

`{command}`

The steering program (`bpf/steering.bpf.c`) on one frame of each class, run by the kernel's
program test-run facility (`BPF_PROG_TEST_RUN`), next to the same program built with a
bit-serial Toeplitz over the whole 36-byte input (the way QEMU's `tools/ebpf/rss.bpf.c`
computes it), an empty program, the facility's own floor, the program's QEMU-layout build, and
QEMU's own program, taken out of
the QEMU 10 package of bookworm-backports at run time (`scripts/qemu-program.py`; never
committed) and configured alike in its own map layout. The builds interleave within each
round; each figure is the kernel's mean over the runs, the median of the rounds. "above floor"
compares the two builds less the empty program's time: the programs' own work. QEMU's program
reads the frame relative to the socket buffer's MAC and network headers, so it runs on the frame
as the facility parses it (no stand-in header); on a tagged frame the facility's network header
is the tag's, and QEMU's program then hashes garbage along its usual path, which its time still
measures.

```
{table}
```

{summary}
"""


PATHS_TEXT = """### Where the program spends its instructions

`{command}` (root; `make program-paths`, also part of `make test` as root)

The machine has no hardware counters, so the counts come from the program itself:
`scripts/program-paths.py` loads the `tables` build (compiled as `scripts/bpf-embed.py`
compiles it, and checked to be the embedded object), takes back the verifier's rewritten
instructions (the array, per-CPU and map-in-map lookups and both `bpf_loop` calls come back
inlined; the one helper call left is `bpf_skb_load_bytes`) and the JIT image, and interprets the
rewritten instructions on each class's frame of the benchmark above, under its configuration.
The kernel runs every class too (`BPF_PROG_TEST_RUN`), with that table and with an identity
table that returns the hash's low 16 bits: the interpreter must return what the kernel returns,
and the hash must equal a Toeplitz computed apart from the fields the spec hashes (that
Toeplitz is first held to the Microsoft vectors). The two also agree on 3,000 frames mutated
from the classes. "x86 bytes on path" is the JIT code of the source regions the path enters,
each counted once and whole.

{tables}

{summary}
"""


def paths_summary(paths, cost):
    classes = paths["classes"]
    rows = {row["class"]: row for row in cost["rows"]}

    def executed(name):
        return classes[name]["executed"]

    def phase(name, *functions):
        return sum(classes[name]["per_c_function"].get(function, 0) for function in functions)

    ex = "IPv6 UDP, extension headers, _EX"
    toeplitz4 = phase("IPv4 TCP", "toeplitz", "contribution")
    toeplitz6 = phase("IPv6 TCP", "toeplitz", "contribution")
    moved = phase("802.1Q IPv4 TCP", "drop_tags")
    reads = phase(ex, "read")
    walk, search = phase(ex, "walk_step"), phase(ex, "search_step")
    parse = phase(ex, "general_shape", "prefix_copy", "parse", "set_transport")
    loads = [length for _, length in classes[ex]["frame_loads"]]
    text = fill(
        f"On the common path the Toeplitz lookups take most of the instructions: {toeplitz4} of plain IPv4 TCP's "
        f"{executed('IPv4 TCP')} and {toeplitz6} of IPv6 TCP's {executed('IPv6 TCP')}, nine per input byte; a "
        f"full-size frame executes what a short one does. Every common shape, tagged or not, takes one "
        f"`bpf_skb_load_bytes` of the frame's first 66 bytes (58 or 38 of a shorter frame), tags included; a "
        f"tagged head is then moved down past "
        f"its tags ({moved} instructions for one tag), so 802.1Q IPv4 TCP executes {executed('802.1Q IPv4 TCP')} "
        f"instructions against {executed('IPv4 TCP')} and takes {rows['802.1Q IPv4 TCP']['tables_ns'] / rows['IPv4 TCP']['tables_ns']:.2f} "
        f"times IPv4 TCP's time in the table above. The `_EX` frame executes {executed(ex):,} ({executed(ex) / executed('IPv6 TCP'):.2f} "
        f"times IPv6 TCP): its Toeplitz costs the same, and the rest is the general parse: {reads} instructions in "
        f"reads of the head copy (each passes its offset through memory before it indexes the copy, which keeps "
        f"the verifier from tracking the walk's cursor into every read and so inside its limit), {walk + search} in "
        f"the two `bpf_loop` callbacks' own code ({walk} in `walk_step` over three headers, {search} in "
        f"`search_step` over two options), {parse} in the parse itself; and a second load: the common shapes' "
        f"{loads[0]}-byte load tells the frame apart, and the general parse loads its first {loads[1]} bytes again.")
    return text + "\n\n" + TRIED


TRIED = """Tried and not kept, each measured as a ratio within one run of `bench --program-cost --rounds 5
--repetitions 100000` on a loaded host (the `_EX` goal is 2 times IPv6 TCP):

- One load for the `_EX` frame (the common shapes skipped for it): 2.08 and 2.12 times IPv6 TCP in two
  runs, against 2.36 to 2.39 for the kept program in runs of the same kind: the second load is some 15 ns,
  and without it the frame is still above 2 times.
- Hashing the fields where they lie in the head copy instead of gathering them into an input buffer first:
  900 instructions executed instead of 1,012, and 2.28 and 2.55 times IPv6 TCP, no faster. So what is left
  looks like latency more than instructions (the machine has no counters to show it): each read's offset goes
  through memory before it indexes the copy, and every step of the walk waits on the length byte the step
  before it read.
- One 128-byte head load for every frame, the common shapes and the general parse reading from the same copy
  (one load for the `_EX` frame): a full-size IPv4 TCP frame then took 1.08 to 1.20 times a 54-byte one in
  the same run, where it takes what a short one does with the 66-byte load. Full-size frames are the common
  case, so the 66-byte load stays."""


def program_summary(doc):
    rows = {row["class"]: row for row in doc["rows"]}
    tcp4, tcp6 = rows["IPv4 TCP"], rows["IPv6 TCP"]
    return fill(f"Per IPv4 TCP frame the table-driven program takes {tcp4['tables_ns']:.0f} ns against "
                f"{tcp4['bit_serial_ns']:.0f} ns bit-serial ({tcp4['ratio']:.2f} times cheaper, "
                f"{tcp4['ratio_above_floor']:.2f} above the floor), per IPv6 TCP frame {tcp6['tables_ns']:.0f} "
                f"against {tcp6['bit_serial_ns']:.0f} ns ({tcp6['ratio']:.2f}, {tcp6['ratio_above_floor']:.2f}). "
                f"The verifier accepts it after {doc['verified_instructions']:,} instructions "
                f"({doc['instructions']:,} after its rewrites, {doc['jited_bytes']:,} bytes of machine code). "
                + extension_summary(rows, tcp6) + tagged_summary(rows) + qemu_summary(rows))


def qemu_summary(rows):
    tcp4, tcp6 = rows["IPv4 TCP"], rows["IPv6 TCP"]
    text = (f" The QEMU-layout build (the maps QEMU writes, byte tables built per CPU from its key; the "
            f"program `vnet-rss qemu-rss` hands QEMU) takes {tcp4['qemu_layout_ns']:.0f} ns per IPv4 TCP frame "
            f"and {tcp6['qemu_layout_ns']:.0f} per IPv6 TCP frame.")
    if "qemu_ns" not in tcp4:
        return text
    return text + (f" QEMU's own program, in the same run, takes {tcp4['qemu_ns']:.0f} and {tcp6['qemu_ns']:.0f} ns: "
                   f"the QEMU-layout build is {tcp4['qemu_ratio']:.2f} and {tcp6['qemu_ratio']:.2f} times cheaper "
                   "(QEMU's bit-serial Toeplitz runs over all 36 input bytes whatever the frame, eight steps a byte).")


def extension_summary(rows, tcp6):
    ex = rows["IPv6 UDP, extension headers, _EX"]
    return (f"IPv6 UDP behind a Destination Options header (PadN, Home Address) and a type-2 Routing header, "
            f"under the `_EX` types, takes {ex['tables_ns']:.0f} ns ({ex['tables_ns'] / tcp6['tables_ns']:.2f} "
            "times plain IPv6 TCP): the general parse loads the frame's first 256 bytes once and walks the "
            "headers (`bpf_loop`, one step per header and per option) over that copy, loading from the frame "
            "only what lies past it; where that time goes is in the next section.")


def tagged_summary(rows):
    """The VLAN-tagged classes against the plain ones, where the run has them."""
    if "QinQ IPv4 TCP" not in rows:
        return ""
    tcp4, tcp6 = rows["IPv4 TCP"]["tables_ns"], rows["IPv6 TCP"]["tables_ns"]
    one, two, six = rows["802.1Q IPv4 TCP"]["tables_ns"], rows["QinQ IPv4 TCP"]["tables_ns"], rows["802.1Q IPv6 TCP"]["tables_ns"]
    return (f" Tagged frames take the common path with the same one load, the head moved down past the tags: 802.1Q IPv4 TCP "
            f"{one:.0f} ns and QinQ {two:.0f} ns ({one / tcp4:.2f} and {two / tcp4:.2f} times plain IPv4 TCP), "
            f"802.1Q IPv6 TCP {six:.0f} ns ({six / tcp6:.2f} times plain IPv6 TCP).")


def page():
    live = json.loads(read("bench.json"))
    focused = json.loads(read("bench-64-read.json"))
    soak = json.loads(read("soak.json"))
    parts = [STATIC_INTRO + "\n".join(f"| {out} | `{command}` |" for out, command in COMMANDS) + "\n"]
    mallocs = {line.rsplit("|", 2)[1].strip() for line in read("micro-bench.md").splitlines()[2:] if line.strip()}
    mallocs = "Every row made 0 allocations." if mallocs == {"0"} else "Allocations per row are in the last column."
    parts.append(MICRO_TEXT.format(command=MICRO, mallocs=mallocs, tables=micro_tables(), full=read("micro-bench.md").rstrip("\n")))
    parts.append(LIVE_TEXT.format(
        frames=live["frames_per_round"], rounds=live["rounds"], shared=live["shared_core_rounds"],
        command=LIVE, table=read("bench.txt"), summary=live_summary(live),
        focused_command=FOCUSED, focused=read("bench-64-read.txt"), noise=noise_summary(focused)))
    parts.append(SOAK_TEXT.format(command=SOAK, summary=soak_summary(soak)))
    parts.append(VMM_TEXT.format(command=VMM, table=read("bench-vmm.txt").rstrip("\n"),
                                 summary=vmm_summary(json.loads(read("bench-vmm.json")))))
    parts.append(VMM_INJECT_TEXT.format(command=VMM_INJECT, table=read("bench-vmm-inject.txt").rstrip("\n"),
                                        summary=vmm_inject_summary(json.loads(read("bench-vmm-inject.json")))))
    parts.append(TCP_TEXT.format(command=TCP, table=read("bench-tcp.txt").rstrip("\n"),
                                 summary=tcp_summary(json.loads(read("bench-tcp.json")))))
    parts.append(PROGRAM_TEXT.format(command=PROGRAM, table=read("program-cost.txt").rstrip("\n"),
                                     summary=program_summary(json.loads(read("program-cost.json")))))
    parts.append(PATHS_TEXT.format(command=PATHS, tables=read("program-paths.md").rstrip("\n"),
                                   summary=paths_summary(json.loads(read("program-paths.json")),
                                                         json.loads(read("program-cost.json")))))
    parts.append(RECORDED)
    parts.append(BENCH_COMMAND)
    return "\n".join(parts)


if __name__ == "__main__":
    if sys.argv[1:] == ["--run"]:
        run_all()
    elif sys.argv[1:]:
        sys.exit(__doc__)
    text = page()
    with open(os.path.join(DOCS, "benchmarks.md"), "w") as handle:
        handle.write(text)
