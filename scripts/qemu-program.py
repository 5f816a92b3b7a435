#!/usr/bin/env python3
"""QEMU's own eBPF RSS program, taken at run time from the QEMU package, never committed: the
peer of `vnet-rss bench --program-cost --qemu-program FILE`.

QEMU embeds the program's ELF object in its binary (ebpf/rss.bpf.skeleton.h, the bytes libvirt
asks for with the QMP command request-ebpf). This fetches qemu-system-x86 from Debian's
bookworm-backports (QEMU 10; the QEMU 7.2 of bookworm itself carries an object with legacy map
definitions, which libbpf 1.x refuses) with `apt-get download`, through a sources list and
package lists of its own under the cache directory (the machine's apt state is not touched),
unpacks it there, and writes the embedded object: the one ELF of machine EM_BPF in the binary.

Usage: scripts/qemu-program.py OUTPUT [--cache DIR] [--binary PATH]
  --binary takes the object from that QEMU binary instead of fetching one.
Prints the QEMU version and the object's size; exits 77 when the package cannot be fetched.
"""
import argparse
import glob
import os
import struct
import subprocess
import sys

SUITE = "deb http://deb.debian.org/debian bookworm-backports main"
EM_BPF = 247


def apt_options(cache):
    lists = os.path.join(cache, "apt-lists")
    os.makedirs(os.path.join(lists, "partial"), exist_ok=True)
    sources = os.path.join(cache, "sources.list")
    with open(sources, "w") as handle:
        handle.write(SUITE + "\n")
    return ["-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={lists}"]


def fetch_binary(cache):
    """qemu-system-x86_64 from the backports package, unpacked under the cache."""
    cache = os.path.abspath(cache)
    os.makedirs(cache, exist_ok=True)
    options = apt_options(cache)
    subprocess.run(["apt-get", *options, "update", "-qq"], check=True, capture_output=True)
    if not glob.glob(os.path.join(cache, "qemu-system-x86_*.deb")):
        subprocess.run(["apt-get", *options, "download", "qemu-system-x86/bookworm-backports"], check=True,
                       cwd=cache, capture_output=True)
    package = sorted(glob.glob(os.path.join(cache, "qemu-system-x86_*.deb")))[-1]
    root = os.path.join(cache, "qemu-root")
    subprocess.run(["dpkg-deb", "-x", package, root], check=True)
    return os.path.join(root, "usr/bin/qemu-system-x86_64"), os.path.basename(package)


def embedded_objects(data):
    """Every ELF64 little-endian object of machine EM_BPF inside `data`: (offset, bytes)."""
    found, start = [], 0
    while True:
        start = data.find(b"\x7fELF\x02\x01\x01", start)
        if start < 0:
            return found
        header = data[start:start + 64]
        if len(header) == 64 and struct.unpack_from("<H", header, 18)[0] == EM_BPF:
            section_offset, = struct.unpack_from("<Q", header, 40)
            entry_size, count = struct.unpack_from("<HH", header, 58)
            size = section_offset + entry_size * count
            if 64 <= size <= len(data) - start:
                found.append((start, data[start:start + size]))
        start += 4


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output")
    parser.add_argument("--cache", default=".build-guest/qemu")
    parser.add_argument("--binary", help="a QEMU binary to take the object from")
    arguments = parser.parse_args()
    try:
        binary, source = (arguments.binary, arguments.binary) if arguments.binary else fetch_binary(arguments.cache)
    except subprocess.CalledProcessError as error:
        print(f"qemu-program: SKIPPED: {' '.join(error.cmd[:2])}...: {(error.stderr or b'').decode().strip()}")
        return 77
    with open(binary, "rb") as handle:
        objects = embedded_objects(handle.read())
    if len(objects) != 1:
        print(f"qemu-program: {binary} holds {len(objects)} BPF objects, not one")
        return 1
    offset, body = objects[0]
    with open(arguments.output, "wb") as handle:
        handle.write(body)
    print(f"qemu-program: {source}: the embedded RSS object, {len(body)} bytes (at {offset:#x}), in {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
