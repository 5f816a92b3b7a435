#!/usr/bin/env python3
"""Checks every decision `vnet-rss tap` reported against an independent recomputation from the
frame bytes (Fixtures/tools/rss_oracle.py: bit-serial Toeplitz, its own parser).

Usage: demo-verify.py FRAMES.pcap DECISIONS.jsonl QUEUES [--steered]
Prints 'N frames, N verified, N mismatched'; exits 1 on any mismatch or count difference."""
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Fixtures", "tools"))
import rss_oracle  # noqa: E402


def read_pcap(path):
    with open(path, "rb") as handle:
        data = handle.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    frames, offset = [], 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(order + "IIII", data, offset)
        frames.append(data[offset + 16:offset + 16 + caplen])
        offset += 16 + caplen
    return frames


def main():
    frames = read_pcap(sys.argv[1])
    with open(sys.argv[2]) as handle:
        decisions = [json.loads(line) for line in handle if line.strip()]
    queues = int(sys.argv[3])
    # --steered: the kernel steered each frame (the steering program), so the tap queue it was
    # read from must be the queue the independent model names, too.
    steered = "--steered" in sys.argv[4:]
    verified = mismatched = 0
    kinds = {}
    for frame, decision in zip(frames, decisions):
        value, report, queue = rss_oracle.decide(frame, queues=queues)
        got = (decision["hash_value"], decision["hash_report"], decision["queue"])
        if steered and decision["tap_queue"] != queue:
            mismatched += 1
            print(f"frame {decision['frame']}: read on tap queue {decision['tap_queue']}, independent queue {queue}")
        elif got == (value, report, queue):
            verified += 1
            kinds[report] = kinds.get(report, 0) + 1
        else:
            mismatched += 1
            print(f"frame {decision['frame']}: engine {got}, independent {(value, report, queue)}")
    mismatched += abs(len(frames) - len(decisions))
    names = ["none"] + rss_oracle.TYPE_NAMES
    print("reports: " + " ".join(f"{names[k]}={v}" for k, v in sorted(kinds.items())))
    print(f"{len(decisions)} frames, {verified} verified, {mismatched} mismatched")
    sys.exit(1 if mismatched or not decisions else 0)


if __name__ == "__main__":
    main()
