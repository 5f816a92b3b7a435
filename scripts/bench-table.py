#!/usr/bin/env python3
"""Condenses `make bench` output (package-benchmark's text) into one Markdown table:
benchmark, median (p50) and best (p0) wall-clock time per operation, mallocs.

Every benchmark is named "... (ns per 1000)": a sample times 1,000 operations, so the printed
nanoseconds divided by 1,000 are nanoseconds per operation."""
import re
import sys

text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text).replace("\r", "\n")
rows = []
for block in re.split(r"\n### ", text)[1:]:
    name = block.split("\n", 1)[0].strip()
    wall = re.search(r"\| Time \(wall clock\) \(ns\) \*? *\|([^\n]*)", block)
    mallocs = re.search(r"\| Malloc \(total\) \*? *\|([^\n]*)", block)
    if not wall:
        continue
    cells = [c.strip() for c in wall.group(1).split("|")]
    p0, p50 = float(cells[0].replace(",", "")), float(cells[2].replace(",", ""))
    malloc = mallocs.group(1).split("|")[2].strip() if mallocs else "?"
    rows.append((name.replace(" (ns per 1000)", ""), p50 / 1000, p0 / 1000, malloc))
print("| benchmark | median ns/op | best ns/op | mallocs |")
print("|---|---:|---:|---:|")
for name, p50, p0, malloc in rows:
    print(f"| {name} | {p50:.2f} | {p0:.2f} | {malloc} |")
