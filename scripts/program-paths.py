#!/usr/bin/env python3
"""Where the steering program spends its instructions, per frame class: an exact count of the
BPF instructions the loaded program executes on one frame of each class of `vnet-rss bench
--program-cost` (Sources/VNetBench/ProgramCost/ProgramFrameClass.swift), under the configuration that benchmark
publishes (all nine hash types, the Microsoft key, a 128-entry table over 4 queues).

The machine has no hardware counters for BPF, so the count comes from the program itself: the
script loads bpf/steering.bpf.c (the `tables` build, compiled with scripts/bpf-embed.py's flags,
plus -g for line info) into the kernel, takes back what the verifier made of it (the xlated
instructions, with the array, per-CPU array and map-in-map lookups and bpf_loop inlined) and
its JIT image, and interprets the xlated instructions on each frame. The interpreter models
the socket buffer (len, the VLAN word; offsets from the kernel's BTF), the maps' kernel layout
(struct bpf_array: the value, ptrs and pptrs arrays), the stack of each call frame and the one
helper left in the xlated code, bpf_skb_load_bytes; any other helper, context field or memory
access outside what it models stops it with an error. It counts instructions per function,
per C function of the source (inlined ones included, by line info), per line-info region,
callback invocations (bpf_loop iterations), frame loads (helper calls and bytes) and reads of
the per-CPU copy of the frame's head.

Validation, every run: each class is also run by the kernel (BPF_PROG_TEST_RUN, the frame
behind a stand-in Ethernet header as the library's test run does), once with the benchmark's
configuration and once with an identity indirection table (mask 0xFFFF, so the program returns
the hash's low 16 bits); the interpreter must return what the kernel returns, and the hash must
equal a Toeplitz hash computed here, independently, from the fields the virtio spec hashes for
the class (the Toeplitz code is first checked on the Microsoft verification vectors in
Fixtures/vectors). x86 bytes per region come from the JIT image and the kernel's jited line
info, x86 instruction counts from objdump over the image.

    scripts/program-paths.py                  the Markdown tables on stdout (two seconds)
    scripts/program-paths.py --detail         also per class: C functions, hottest lines
    scripts/program-paths.py --fuzz N         also check interpreter against kernel on N mutated frames
    scripts/program-paths.py --verifier-log   load with bpftool -d for the verifier's states line (a minute)
    scripts/program-paths.py --json FILE      everything as JSON
    scripts/program-paths.py --object OBJ     another object (default: compile bpf/steering.bpf.c)

Columns: "BPF instructions executed" counts every xlated instruction run, the verifier's
inlined lookups and bpf_loop included; "x86 bytes on path" is the JIT code of the line-info
regions the path enters (each once, whole, branches not taken in them included).

Needs root (CAP_BPF, CAP_SYS_ADMIN for the mount and the test runs), bpftool, objdump and
the Swift toolchain's clang (or $BPF_CLANG). It mounts a private bpffs under a temporary
directory, pins the program and its maps there only, and unpins, unmounts and removes it on
exit, also on failure. Python 3 standard library only.
"""
import argparse
import bisect
import collections
import ctypes
import ipaddress
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = "bpf/steering.bpf.c"
MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1

# ---------------------------------------------------------------------------------------------
# The bpf(2) system call, through ctypes.

BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_OBJ_GET, BPF_PROG_TEST_RUN, BPF_OBJ_GET_INFO_BY_FD = 1, 2, 7, 10, 15
SYS_BPF = 321  # x86_64
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    result = libc.syscall(SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr))
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"bpf({cmd}): {os.strerror(error)}")
    return result


class ObjGetAttr(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32), ("file_flags", ctypes.c_uint32),
                ("path_fd", ctypes.c_int32)]


class InfoAttr(ctypes.Structure):
    _fields_ = [("bpf_fd", ctypes.c_uint32), ("info_len", ctypes.c_uint32), ("info", ctypes.c_uint64)]


class ElemAttr(ctypes.Structure):
    _fields_ = [("map_fd", ctypes.c_uint32), ("pad", ctypes.c_uint32), ("key", ctypes.c_uint64),
                ("value", ctypes.c_uint64), ("flags", ctypes.c_uint64)]


class TestRunAttr(ctypes.Structure):
    _fields_ = [("prog_fd", ctypes.c_uint32), ("retval", ctypes.c_uint32), ("data_size_in", ctypes.c_uint32),
                ("data_size_out", ctypes.c_uint32), ("data_in", ctypes.c_uint64), ("data_out", ctypes.c_uint64),
                ("repeat", ctypes.c_uint32), ("duration", ctypes.c_uint32), ("ctx_size_in", ctypes.c_uint32),
                ("ctx_size_out", ctypes.c_uint32), ("ctx_in", ctypes.c_uint64), ("ctx_out", ctypes.c_uint64),
                ("flags", ctypes.c_uint32), ("cpu", ctypes.c_uint32), ("batch_size", ctypes.c_uint32)]


class ProgInfo(ctypes.Structure):  # struct bpf_prog_info, include/uapi/linux/bpf.h
    _fields_ = [("type", ctypes.c_uint32), ("id", ctypes.c_uint32), ("tag", ctypes.c_uint8 * 8),
                ("jited_prog_len", ctypes.c_uint32), ("xlated_prog_len", ctypes.c_uint32),
                ("jited_prog_insns", ctypes.c_uint64), ("xlated_prog_insns", ctypes.c_uint64),
                ("load_time", ctypes.c_uint64), ("created_by_uid", ctypes.c_uint32), ("nr_map_ids", ctypes.c_uint32),
                ("map_ids", ctypes.c_uint64), ("name", ctypes.c_char * 16), ("ifindex", ctypes.c_uint32),
                ("gpl_compatible", ctypes.c_uint32), ("netns_dev", ctypes.c_uint64), ("netns_ino", ctypes.c_uint64),
                ("nr_jited_ksyms", ctypes.c_uint32), ("nr_jited_func_lens", ctypes.c_uint32),
                ("jited_ksyms", ctypes.c_uint64), ("jited_func_lens", ctypes.c_uint64), ("btf_id", ctypes.c_uint32),
                ("func_info_rec_size", ctypes.c_uint32), ("func_info", ctypes.c_uint64),
                ("nr_func_info", ctypes.c_uint32), ("nr_line_info", ctypes.c_uint32), ("line_info", ctypes.c_uint64),
                ("jited_line_info", ctypes.c_uint64), ("nr_jited_line_info", ctypes.c_uint32),
                ("line_info_rec_size", ctypes.c_uint32), ("jited_line_info_rec_size", ctypes.c_uint32),
                ("nr_prog_tags", ctypes.c_uint32), ("prog_tags", ctypes.c_uint64), ("run_time_ns", ctypes.c_uint64),
                ("run_cnt", ctypes.c_uint64), ("recursion_misses", ctypes.c_uint64),
                ("verified_insns", ctypes.c_uint32), ("attach_btf_obj_id", ctypes.c_uint32),
                ("attach_btf_id", ctypes.c_uint32)]


class MapInfo(ctypes.Structure):  # struct bpf_map_info, the leading fields
    _fields_ = [("type", ctypes.c_uint32), ("id", ctypes.c_uint32), ("key_size", ctypes.c_uint32),
                ("value_size", ctypes.c_uint32), ("max_entries", ctypes.c_uint32), ("map_flags", ctypes.c_uint32),
                ("name", ctypes.c_char * 16)]


def obj_get(path):
    name = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, ObjGetAttr(pathname=ctypes.addressof(name)))


def get_info(fd, info):
    bpf(BPF_OBJ_GET_INFO_BY_FD, InfoAttr(bpf_fd=fd, info_len=ctypes.sizeof(info), info=ctypes.addressof(info)))
    return info


def prog_info(fd):
    """The xlated and jited images with their line info, functions and map ids."""
    first = get_info(fd, ProgInfo())
    buffers = {}

    def buffer(name, size):
        buffers[name] = ctypes.create_string_buffer(max(size, 1))
        return ctypes.addressof(buffers[name])

    second = ProgInfo()
    second.xlated_prog_len = first.xlated_prog_len
    second.xlated_prog_insns = buffer("xlated", first.xlated_prog_len)
    second.jited_prog_len = first.jited_prog_len
    second.jited_prog_insns = buffer("jited", first.jited_prog_len)
    second.nr_map_ids = first.nr_map_ids
    second.map_ids = buffer("maps", 4 * first.nr_map_ids)
    second.nr_jited_ksyms = first.nr_jited_ksyms
    second.jited_ksyms = buffer("ksyms", 8 * first.nr_jited_ksyms)
    second.nr_jited_func_lens = first.nr_jited_func_lens
    second.jited_func_lens = buffer("lens", 4 * first.nr_jited_func_lens)
    second.nr_func_info = first.nr_func_info
    second.func_info_rec_size = first.func_info_rec_size
    second.func_info = buffer("funcs", first.func_info_rec_size * first.nr_func_info)
    second.nr_line_info = first.nr_line_info
    second.line_info_rec_size = first.line_info_rec_size
    second.line_info = buffer("lines", first.line_info_rec_size * first.nr_line_info)
    second.nr_jited_line_info = first.nr_jited_line_info
    second.jited_line_info_rec_size = first.jited_line_info_rec_size
    second.jited_line_info = buffer("jlines", first.jited_line_info_rec_size * first.nr_jited_line_info)
    get_info(fd, second)
    raw = {name: bytes(b) for name, b in buffers.items()}
    lines = [struct.unpack_from("<IIII", raw["lines"], i * second.line_info_rec_size)
             for i in range(second.nr_line_info)]
    return {
        "xlated": raw["xlated"][:second.xlated_prog_len],
        "jited": raw["jited"][:second.jited_prog_len],
        "map_ids": list(struct.unpack_from(f"<{second.nr_map_ids}I", raw["maps"])),
        "ksyms": list(struct.unpack_from(f"<{second.nr_jited_ksyms}Q", raw["ksyms"])),
        "func_lens": list(struct.unpack_from(f"<{second.nr_jited_func_lens}I", raw["lens"])),
        "func_offsets": [struct.unpack_from("<I", raw["funcs"], i * second.func_info_rec_size)[0]
                         for i in range(second.nr_func_info)],
        # (insn_off, line): line_col holds line << 10 | column
        "line_info": [(insn_off, line_col >> 10) for insn_off, _file, _line, line_col in lines],
        "jited_line_info": list(struct.unpack_from(f"<{second.nr_jited_line_info}Q", raw["jlines"])),
        "verified_insns": second.verified_insns,
        "id": second.id,
    }


def map_info(fd):
    info = get_info(fd, MapInfo())
    return {"type": info.type, "id": info.id, "value_size": info.value_size, "max_entries": info.max_entries,
            "name": info.name.decode()}


def map_update(fd, key, value):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value, len(value))
    bpf(BPF_MAP_UPDATE_ELEM, ElemAttr(map_fd=fd, key=ctypes.addressof(k), value=ctypes.addressof(v)))


def map_lookup(fd, key, size):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(size)
    bpf(BPF_MAP_LOOKUP_ELEM, ElemAttr(map_fd=fd, key=ctypes.addressof(k), value=ctypes.addressof(v)))
    return bytes(v)


def test_run(fd, frame):
    """The kernel's run of the program on `frame`, behind a stand-in Ethernet header (EtherType
    0x88B5) that the facility pulls, so that the program's data starts at the frame's
    destination MAC: what Sources/CVNetTapShim/vnet_steering.c's vnet_steering_test_run does."""
    data = bytes(12) + b"\x88\xb5" + bytes(frame)
    buffer = ctypes.create_string_buffer(data, len(data))
    attr = TestRunAttr(prog_fd=fd, data_size_in=len(data), data_in=ctypes.addressof(buffer), repeat=1)
    bpf(BPF_PROG_TEST_RUN, attr)
    return attr.retval


# ---------------------------------------------------------------------------------------------
# Kernel structure offsets, from the running kernel's BTF.

def kernel_offsets():
    """sk_buff.len, sk_buff.vlan_all and bpf_array.value, in bytes, from /sys/kernel/btf/vmlinux."""
    text = subprocess.run(["bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "raw"],
                          capture_output=True, text=True, check=True).stdout
    types, names, current = {}, {}, None
    for line in text.splitlines():
        if line.startswith("["):
            match = re.match(r"\[(\d+)\] (\w+) '([^']*)'", line)
            current = None
            if match and match.group(2) in ("STRUCT", "UNION"):
                current = int(match.group(1))
                types[current] = []
                names.setdefault(match.group(3), current)
        elif current is not None:
            match = re.match(r"\s+'([^']*)' type_id=(\d+) bits_offset=(\d+)", line)
            if match:
                types[current].append((match.group(1), int(match.group(2)), int(match.group(3))))

    def find(type_id, member, base=0):
        for name, child, bits in types.get(type_id, []):
            if name == member:
                return base + bits
        for name, child, bits in types.get(type_id, []):
            if name == "(anon)" and child in types:
                found = find(child, member, base + bits)
                if found is not None:
                    return found
        return None

    offsets = {}
    for struct_name, member in (("sk_buff", "len"), ("sk_buff", "vlan_all"), ("bpf_array", "value")):
        bits = find(names[struct_name], member)
        if bits is None or bits % 8:
            raise SystemExit(f"program-paths: no {struct_name}.{member} in the kernel's BTF")
        offsets[f"{struct_name}.{member}"] = bits // 8
    return offsets


# ---------------------------------------------------------------------------------------------
# Toeplitz, the configuration and the frame classes.

MICROSOFT_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")
MAX_INPUT, KEY_BYTES, MAX_TABLE = 36, 40, 65536


def toeplitz(key, data):
    """The Toeplitz hash of `data` (virtio spec 1.2, 5.1.6.4.3.1; Microsoft's RSS)."""
    value = int.from_bytes(key, "big")
    width = len(key) * 8
    result = 0
    for index, byte in enumerate(data):
        for bit in range(8):
            if byte & (0x80 >> bit):
                position = index * 8 + bit
                result ^= (value >> (width - 32 - position)) & MASK32
    return result


def check_toeplitz():
    """The Toeplitz code against the Microsoft verification vectors of Fixtures/vectors."""
    with open(os.path.join(ROOT, "Fixtures/vectors/microsoft-rss-verification.json")) as handle:
        vectors = json.load(handle)
    key = bytes.fromhex(vectors["key"])
    checked = 0
    for case in vectors["cases"]:
        if "src_ip" not in case:
            continue
        data = ipaddress.ip_address(case["src_ip"]).packed + ipaddress.ip_address(case["dst_ip"]).packed
        if "src_port" in case:
            data += struct.pack(">HH", case["src_port"], case["dst_port"])
        if toeplitz(key, data) != int(case["hash"], 16):
            raise SystemExit(f"program-paths: Toeplitz disagrees with vector {case['name']}")
        checked += 1
    return checked


def slot_image(table, unclassified, hash_types=0x1FF, flags=0, key=MICROSOFT_KEY):
    """struct vnet_steering_slot (Sources/CVNetTapShim/vnet_steering_layout.h), as
    vnet_steering_slot_fill writes it: byte tables of the key, table[i] in tap queue numbers."""
    tables = bytearray()
    whole, width = int.from_bytes(key, "big"), len(key) * 8
    for position in range(MAX_INPUT):
        # The key's 32-bit windows at the byte's eight bits, most significant bit first.
        windows = [(whole >> (width - 32 - (position * 8 + bit))) & MASK32 for bit in range(8)]
        for value in range(256):
            contribution = 0
            for bit in range(8):
                if value & (0x80 >> bit):
                    contribution ^= windows[bit]
            tables += struct.pack("<I", contribution)
    entries = list(table) + [0] * (MAX_TABLE - len(table))
    return (struct.pack("<IIII", hash_types, flags, len(table) - 1, unclassified) + bytes(tables)
            + key[:KEY_BYTES].ljust(KEY_BYTES, b"\0") + struct.pack(f"<{MAX_TABLE}H", *entries))


def frame_classes():
    """ProgramCost.classes, byte for byte, with the hash input the virtio spec gives each class
    under all nine types (the _EX types: the Home Address and the type-2 Routing address)."""
    ethernet = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2])
    v4 = bytes([10, 77, 0, 1, 10, 77, 0, 2])
    ports = bytes([0x27, 0x10, 0x13, 0x88])
    tcp = ports + bytes([0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0])
    udp = ports + bytes([0, 8, 0, 0])

    def ipv4(protocol, payload):
        total = 20 + len(payload)
        return bytes([0x45, 0, total >> 8, total & 0xFF, 0, 0, 0x40, 0, 64, protocol, 0, 0]) + v4 + payload

    source = bytes([0xFD, 0, 0, 0x77]) + bytes(11) + bytes([1])
    destination = bytes([0xFD, 0, 0, 0x77]) + bytes(11) + bytes([2])

    def ipv6(next_header, payload):
        return bytes([0x60, 0, 0, 0, len(payload) >> 8, len(payload) & 0xFF, next_header, 64]) + source + destination + payload

    home = bytes([0xFD, 0, 0, 0x99]) + bytes(11) + bytes([7])
    care = bytes([0xFD, 0, 0, 0x99]) + bytes(11) + bytes([8])
    options = bytes([43, 2, 1, 2, 0, 0, 0xC9, 16]) + home
    routing = bytes([17, 2, 2, 1, 0, 0, 0, 0]) + care
    arp = bytes([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2]) + v4[:4] + bytes(6) + v4[4:]
    return [
        ("IPv4 TCP", ethernet + b"\x08\x00" + ipv4(6, tcp), v4 + ports),
        ("IPv4 UDP", ethernet + b"\x08\x00" + ipv4(17, udp), v4 + ports),
        ("IPv6 TCP", ethernet + b"\x86\xdd" + ipv6(6, tcp), source + destination + ports),
        ("IPv4 TCP, 1514 bytes", ethernet + b"\x08\x00" + ipv4(6, tcp + b"\x5a" * 1460), v4 + ports),
        ("IPv6 TCP, 1514 bytes", ethernet + b"\x86\xdd" + ipv6(6, tcp + b"\x5a" * 1440), source + destination + ports),
        ("IPv6 UDP, extension headers, _EX", ethernet + b"\x86\xdd" + ipv6(60, options + routing + udp),
         home + care + ports),
        ("802.1Q IPv4 TCP", ethernet + bytes([0x81, 0, 0, 5, 8, 0]) + ipv4(6, tcp), v4 + ports),
        ("QinQ IPv4 TCP", ethernet + bytes([0x88, 0xA8, 0, 0x64, 0x81, 0, 0, 5, 8, 0]) + ipv4(6, tcp), v4 + ports),
        ("802.1Q IPv6 TCP", ethernet + bytes([0x81, 0, 0, 5, 0x86, 0xDD]) + ipv6(6, tcp),
         source + destination + ports),
        ("ARP (not IP)", ethernet + b"\x08\x06" + arp, None),
    ]


# ---------------------------------------------------------------------------------------------
# The interpreter.

class InterpreterError(Exception):
    pass


class Ptr:
    """A pointer: a region and a byte offset into it."""
    __slots__ = ("region", "off")

    def __init__(self, region, off):
        self.region, self.off = region, off

    def __repr__(self):
        return f"&{self.region.name}+{self.off}"


class Region:
    """A piece of memory: bytes, and the pointers stored in it (8 bytes each, by offset)."""

    def __init__(self, name, size, data=None, kind=None):
        self.name, self.kind = name, kind or name
        self.data = bytearray(data) if data is not None else bytearray(size)
        self.ptrs = {}
        self.readable = None  # (start, end) when only part of it may be read
        self.fields = None  # offset: size of the only fields that may be read (the context)
        # A stack tracks which bytes were written: reading one that was not fails the run, as the
        # verifier refuses such a read on kernels before 6.3 and for a loader without CAP_PERFMON.
        self.written = bytearray(size) if kind == "stack" else None

    def check(self, off, size):
        low, high = self.readable or (0, len(self.data))
        if off < low or off + size > high:
            raise InterpreterError(f"access to {self.name}+{off} ({size} bytes) outside [{low}, {high})")

    def load(self, off, size):
        self.check(off, size)
        if self.fields is not None and self.fields.get(off) != size:
            raise InterpreterError(f"context field {self.name}+{off} ({size} bytes) is not modelled")
        if self.written is not None and not all(self.written[off:off + size]):
            raise InterpreterError(f"read of {size} bytes at {self.name}+{off}, not all of them written")
        if off in self.ptrs:
            if size != 8:
                raise InterpreterError(f"partial read of a pointer at {self.name}+{off}")
            return self.ptrs[off]
        for start in self.ptrs:
            if start < off + size and off < start + 8:
                raise InterpreterError(f"read across a pointer at {self.name}+{start}")
        return int.from_bytes(self.data[off:off + size], "little")

    def store(self, off, size, value):
        self.check(off, size)
        if self.written is not None:
            self.written[off:off + size] = b"\x01" * size
        for start in [s for s in self.ptrs if s < off + size and off < s + 8]:
            del self.ptrs[start]
        if isinstance(value, Ptr):
            if size != 8:
                raise InterpreterError(f"pointer stored in {size} bytes at {self.name}+{off}")
            self.ptrs[off] = value
            self.data[off:off + 8] = b"\xAA" * 8
        else:
            self.data[off:off + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


SIZES = {0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8}


def truncated_quotient(a, b):
    """a / b rounded toward zero, exactly (BPF's signed division), for integers of any size."""
    quotient = abs(a) // abs(b)
    return quotient if (a < 0) == (b < 0) else -quotient


def signed(value, bits):
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def decode(xlated):
    insns = []
    for index in range(len(xlated) // 8):
        code, regs, off, imm = struct.unpack_from("<BBhi", xlated, index * 8)
        insns.append((code, regs & 0xF, regs >> 4, off, imm))
    return insns


class Machine:
    def __init__(self, insns, disasm, helpers_by_index, maps, offsets, functions):
        self.insns, self.disasm, self.maps, self.offsets = insns, disasm, maps, offsets
        self.helpers = helpers_by_index
        self.function_starts = sorted(functions)

    def run(self, frame, slot_bytes, limit=1_000_000):
        """Interprets the program on `frame` with the slot `slot_bytes` in force: its return
        value and the counts. An InterpreterError names the last instructions run."""
        recent = collections.deque(maxlen=16)
        try:
            return self.interpret(frame, slot_bytes, limit, recent)
        except InterpreterError as error:
            trail = "; ".join(f"{pc}: {self.disasm.get(pc, '?')}" for pc in recent)
            raise InterpreterError(f"{error} (after {trail})") from None

    def interpret(self, frame, slot_bytes, limit, recent):
        offsets = self.offsets
        skb = Region("skb", 256)
        skb.store(offsets["sk_buff.len"], 4, len(frame))
        skb.store(offsets["sk_buff.vlan_all"], 4, 0)
        # Only these fields of the socket buffer: any other context load stops the run.
        skb.fields = {offsets["sk_buff.len"]: 4, offsets["sk_buff.vlan_all"]: 4}
        packet = bytes(frame)
        value_off = offsets["bpf_array.value"]
        # The maps, as struct bpf_array: ptrs (map of maps), pptrs (per-CPU) or value (array).
        regions = {}
        slot = Region("slot", value_off + len(slot_bytes), b"\0" * value_off + slot_bytes, kind="slot")
        slot.readable = (value_off, value_off + len(slot_bytes))
        prefix_value = Region("prefix", self.maps["vnet_rss_prefix"]["value_size"], kind="prefix")
        for name, info in self.maps.items():
            if name == "vnet_rss_active":
                region = Region(name, value_off + 8)
                region.store(value_off, 8, Ptr(slot, 0))
                region.readable = (value_off, value_off + 8)
            elif name == "vnet_rss_prefix":
                region = Region(name, value_off + 8)
                region.store(value_off, 8, Ptr(prefix_value, 0))
                region.readable = (value_off, value_off + 8)
            else:
                continue
            regions[info["id"]] = region
        stats = {"executed": [0] * len(self.insns), "helpers": {}, "frame_loads": [], "copy_reads": [0, 0],
                 "callbacks": {}}
        regs = [None] * 11
        regs[1] = Ptr(skb, 0)
        stack = Region("stack0", 512, kind="stack")
        regs[10] = Ptr(stack, 512)
        frames = []
        pc = 0
        steps = 0
        insns, executed = self.insns, stats["executed"]

        def get(r):
            value = regs[r]
            if value is None:
                raise InterpreterError(f"insn {pc}: r{r} read before it was written")
            return value

        while True:
            steps += 1
            if steps > limit:
                raise InterpreterError("instruction limit")
            code, dst, src, off, imm = insns[pc]
            executed[pc] += 1
            recent.append(pc)
            cls = code & 7
            if cls in (4, 7):  # ALU, ALU64
                op = code & 0xF0
                wide = cls == 7
                a = regs[dst]
                b = get(src) if code & 8 else imm & MASK64
                if op == 0xB0:  # MOV
                    if code & 8 and isinstance(b, Ptr):
                        if not wide:
                            raise InterpreterError(f"insn {pc}: 32-bit move of a pointer")
                        regs[dst] = b  # off -1 is the per-CPU address move: the pointer itself
                    elif off in (8, 16, 32) and code & 8:
                        regs[dst] = signed(b, off) & (MASK64 if wide else MASK32)
                    else:
                        regs[dst] = b & (MASK64 if wide else MASK32)
                    pc += 1
                    continue
                if op == 0xD0:  # END
                    a = get(dst)
                    if cls == 7 or code & 8:  # bswap, or to big endian
                        regs[dst] = int.from_bytes((a & ((1 << imm) - 1)).to_bytes(imm // 8, "little"), "big")
                    else:  # to little endian on a little-endian machine: truncate
                        regs[dst] = a & ((1 << imm) - 1)
                    pc += 1
                    continue
                a = get(dst)
                if isinstance(a, Ptr) or isinstance(b, Ptr):
                    if not wide:
                        raise InterpreterError(f"insn {pc}: 32-bit arithmetic on a pointer")
                    if op == 0x00 and isinstance(a, Ptr) and not isinstance(b, Ptr):
                        regs[dst] = Ptr(a.region, a.off + signed(b, 64))
                    elif op == 0x00 and isinstance(b, Ptr) and not isinstance(a, Ptr):
                        regs[dst] = Ptr(b.region, b.off + signed(a, 64))
                    elif op == 0x10 and isinstance(a, Ptr) and not isinstance(b, Ptr):
                        regs[dst] = Ptr(a.region, a.off - signed(b, 64))
                    elif op == 0x10 and isinstance(a, Ptr) and isinstance(b, Ptr) and a.region is b.region:
                        regs[dst] = (a.off - b.off) & MASK64
                    else:
                        raise InterpreterError(f"insn {pc}: pointer arithmetic {self.disasm.get(pc)}")
                    pc += 1
                    continue
                bits = 64 if wide else 32
                mask = MASK64 if wide else MASK32
                a &= mask
                b &= mask
                if op == 0x00:
                    r = a + b
                elif op == 0x10:
                    r = a - b
                elif op == 0x20:
                    r = a * b
                elif op == 0x30:
                    if off == 1:
                        r = 0 if b == 0 else truncated_quotient(signed(a, bits), signed(b, bits))
                    else:
                        r = 0 if b == 0 else a // b
                elif op == 0x90:
                    if b == 0:
                        r = a
                    elif off == 1:
                        sa, sb = signed(a, bits), signed(b, bits)
                        r = sa - sb * truncated_quotient(sa, sb)
                    else:
                        r = a % b
                elif op == 0x40:
                    r = a | b
                elif op == 0x50:
                    r = a & b
                elif op == 0xA0:
                    r = a ^ b
                elif op == 0x60:
                    r = a << (b & (bits - 1))
                elif op == 0x70:
                    r = a >> (b & (bits - 1))
                elif op == 0xC0:
                    r = signed(a, bits) >> (b & (bits - 1))
                elif op == 0x80:
                    r = -a
                else:
                    raise InterpreterError(f"insn {pc}: ALU op {op:#x}")
                regs[dst] = r & mask
                pc += 1
                continue
            if cls in (5, 6):  # JMP, JMP32
                op = code & 0xF0
                if op == 0x00:  # JA
                    pc += 1 + (imm if cls == 6 else off)
                    continue
                if op == 0x80:  # CALL
                    if src == 1:  # a BPF-to-BPF call: a new frame
                        # In the xlated image the verifier keeps the relative target in off
                        # (imm is the subprogram's index), as bpftool prints it.
                        target = pc + off + 1
                        stats["callbacks"][target] = stats["callbacks"].get(target, 0) + 1
                        frames.append((pc + 1, regs[6:10], regs[10]))
                        stack = Region(f"stack{len(frames)}", 512, kind="stack")
                        regs[10] = Ptr(stack, 512)
                        for r in range(6, 10):
                            regs[r] = None
                        pc = target
                        continue
                    name = self.helpers.get(pc)
                    stats["helpers"][name] = stats["helpers"].get(name, 0) + 1
                    if name == "bpf_skb_load_bytes":
                        ctx, offset, to, length = get(1), get(2) & MASK32, get(3), get(4) & MASK32
                        if not (isinstance(ctx, Ptr) and ctx.region is skb and ctx.off == 0 and isinstance(to, Ptr)):
                            raise InterpreterError(f"insn {pc}: bpf_skb_load_bytes arguments")
                        stats["frame_loads"].append((offset, length))
                        if offset > 0x7FFFFFFF or offset + length > len(packet):
                            for i in range(length):
                                to.region.store(to.off + i, 1, 0)
                            regs[0] = (-14) & MASK64  # -EFAULT
                        else:
                            to.region.check(to.off, length)
                            for i in range(length):
                                to.region.store(to.off + i, 1, packet[offset + i])
                            regs[0] = 0
                    else:
                        raise InterpreterError(f"insn {pc}: helper {name} is not modelled")
                    for r in range(1, 6):
                        regs[r] = None
                    pc += 1
                    continue
                if op == 0x90:  # EXIT
                    if not frames:
                        return get(0) & MASK32, stats
                    pc, saved, regs[10] = frames.pop()
                    regs[6:10] = saved
                    for r in range(1, 6):
                        regs[r] = None
                    continue
                a = get(dst)
                b = get(src) if code & 8 else imm & MASK64
                if isinstance(a, Ptr) or isinstance(b, Ptr):
                    if op in (0x10, 0x50) and not isinstance(b, Ptr) and b == 0:
                        taken = op == 0x50  # a pointer is never null
                    else:
                        raise InterpreterError(f"insn {pc}: comparison of a pointer {self.disasm.get(pc)}")
                else:
                    bits = 64 if cls == 5 else 32
                    a &= (1 << bits) - 1
                    b &= (1 << bits) - 1
                    sa, sb = signed(a, bits), signed(b, bits)
                    taken = {0x10: a == b, 0x20: a > b, 0x30: a >= b, 0x40: bool(a & b), 0x50: a != b,
                             0x60: sa > sb, 0x70: sa >= sb, 0xA0: a < b, 0xB0: a <= b, 0xC0: sa < sb,
                             0xD0: sa <= sb}.get(op)
                    if taken is None:
                        raise InterpreterError(f"insn {pc}: jump op {op:#x}")
                pc += 1 + (off if taken else 0)
                continue
            if cls == 0:  # LD: only ld_imm64
                if code != 0x18:
                    raise InterpreterError(f"insn {pc}: legacy packet load {code:#x}")
                next_imm = insns[pc + 1][4]
                if src == 1:  # a map, by id
                    if imm not in regions:
                        raise InterpreterError(f"insn {pc}: map id {imm} is not modelled")
                    regs[dst] = Ptr(regions[imm], 0)
                elif src == 0 or src == 4:  # a constant, or a callback's address (dead in the inlined loop)
                    regs[dst] = ((next_imm & MASK32) << 32) | (imm & MASK32)
                else:
                    raise InterpreterError(f"insn {pc}: ld_imm64 source {src}")
                pc += 2
                continue
            if cls == 1:  # LDX
                mode = code & 0xE0
                size = SIZES[code & 0x18]
                base = get(src)
                if not isinstance(base, Ptr) or mode not in (0x60, 0x80):
                    raise InterpreterError(f"insn {pc}: load through {base!r} ({self.disasm.get(pc)})")
                value = base.region.load(base.off + off, size)
                if base.region.kind == "prefix" and base.off + off < 256 + 64:
                    stats["copy_reads"][0] += 1
                    stats["copy_reads"][1] += size
                if mode == 0x80:
                    value = signed(value, size * 8) & MASK64
                regs[dst] = value
                pc += 1
                continue
            if cls in (2, 3):  # ST, STX
                if code & 0xE0 != 0x60:
                    raise InterpreterError(f"insn {pc}: atomic or unknown store {code:#x}")
                size = SIZES[code & 0x18]
                base = get(dst)
                if not isinstance(base, Ptr):
                    raise InterpreterError(f"insn {pc}: store through {base!r}")
                value = get(src) if cls == 3 else imm & MASK64
                base.region.store(base.off + off, size, value)
                pc += 1
                continue
            raise InterpreterError(f"insn {pc}: class {cls}")


# ---------------------------------------------------------------------------------------------
# bpftool's text dump: disassembly, helper names, functions, source lines.

def parse_xlated_text(text):
    disasm, helpers, functions, sources = {}, {}, {}, {}
    pending_function, pending_source = None, None
    for line in text.splitlines():
        if not line.strip():
            continue
        if line.startswith(";"):
            pending_source = re.sub(r" \[file:.*\]$", "", line[2:])
            continue
        match = re.match(r"\s*(\d+): \((\w\w)\) (.*)$", line)
        if match:
            index = int(match.group(1))
            disasm[index] = match.group(3)
            call = re.match(r"call (\w+)#", match.group(3))
            if call:
                helpers[index] = call.group(1)
            if pending_function:
                functions[index] = pending_function
                pending_function = None
            if pending_source is not None:
                sources[index] = pending_source
                pending_source = None
            continue
        match = re.match(r"\S.*?(\w+)\(.*\):$", line)
        if match:
            pending_function = match.group(1)
    return disasm, helpers, functions, sources


def source_functions(path):
    """line -> the C function whose body holds it (by the definitions' lines and their closing brace)."""
    with open(path) as handle:
        lines = handle.read().splitlines()
    owner = {}
    current = None
    for number, line in enumerate(lines, 1):
        match = re.match(r"^(?:static |SEC\(|int |long )[^;]*?\b(\w+)\([^;]*$", line)
        if match and not line.startswith("SEC("):
            current = match.group(1)
        if current:
            owner[number] = current
        if line.startswith("}") and current:
            current = None
    return owner


def x86_instruction_starts(image):
    """Start offsets of the x86 instructions of the JIT image (objdump over the raw bytes)."""
    with tempfile.NamedTemporaryFile(suffix=".bin") as handle:
        handle.write(image)
        handle.flush()
        text = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", handle.name],
                              capture_output=True, text=True, check=True).stdout
    starts = []
    for line in text.splitlines():
        match = re.match(r"\s*([0-9a-f]+):\t([0-9a-f ]+)\t", line)
        if match:
            starts.append(int(match.group(1), 16))
    return starts


# ---------------------------------------------------------------------------------------------

def compile_object(directory):
    clang = os.environ.get("BPF_CLANG")
    if not clang:
        swift = shutil.which("swift")
        beside = os.path.join(os.path.dirname(os.path.realpath(swift)), "clang") if swift else ""
        clang = beside if beside and os.path.exists(beside) else shutil.which("clang")
    if not clang:
        raise SystemExit("program-paths: no clang (set $BPF_CLANG)")
    try:
        triple = subprocess.run(["gcc", "-dumpmachine"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        triple = "x86_64-linux-gnu"
    target = os.path.join(directory, "tables.o")
    # scripts/bpf-embed.py's flags for the tables build; the debug sections are kept (line info
    # lives in .BTF.ext either way, so the loaded program is the embedded one).
    subprocess.run([clang, "-target", "bpf", "-O2", "-g", "-Wall", "-Werror", "-Wno-pass-failed",
                    "-I", "Sources/CVNetTapShim", "-I", f"/usr/include/{triple}", f"-ffile-prefix-map={ROOT}=.",
                    "-c", SOURCE, "-o", target], cwd=ROOT, check=True)
    return target, clang


def matches_embedded(obj, clang):
    """Whether `obj`, its debug sections stripped, is the tables object the library embeds
    (Sources/CVNetTapShim/steering_objects.c); None without llvm-objcopy beside clang."""
    objcopy = os.path.join(os.path.dirname(clang), "llvm-objcopy")
    if not os.path.exists(objcopy):
        return None
    stripped = obj + ".stripped"
    subprocess.run([objcopy, "--strip-debug", obj, stripped], check=True)
    with open(stripped, "rb") as handle:
        mine = handle.read()
    with open(os.path.join(ROOT, "Sources/CVNetTapShim/steering_objects.c")) as handle:
        text = handle.read()
    match = re.search(r"vnet_steering_object_tables\[\][^{]*\{(.*?)\};", text, re.S)
    return bool(match) and bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})", match.group(1))) == mine


def analyse(obj, mount, verifier_log=False, fuzz=0):
    pins = os.path.join(mount, "progs")
    map_pins = os.path.join(mount, "maps")
    # bpftool -d has the verifier log its every step (a minute here, against a second without):
    # only with --verifier-log, for the states line; the processed count comes from the kernel.
    load = subprocess.run(["bpftool"] + (["-d"] if verifier_log else []) +
                          ["prog", "loadall", obj, pins, "pinmaps", map_pins, "type", "socket"],
                          capture_output=True, text=True)
    if load.returncode != 0:
        sys.stderr.write(load.stderr[-4000:])
        raise SystemExit("program-paths: bpftool prog loadall failed")
    log = load.stdout + load.stderr
    verifier = {}
    match = re.search(r"processed (\d+) insns \(limit \d+\) max_states_per_insn (\d+) total_states (\d+) "
                      r"peak_states (\d+)", log)
    if match:
        verifier = dict(zip(("processed", "max_states_per_insn", "total_states", "peak_states"),
                            map(int, match.groups())))
    match = re.search(r"stack depth ([\d+]+)", log)
    if match:
        verifier["stack_depth"] = match.group(1)
    match = re.search(r"verification time (\d+) usec", log)
    if match:
        verifier["verification_usec"] = int(match.group(1))
    programs = os.listdir(pins)
    if len(programs) != 1:
        raise SystemExit(f"program-paths: expected one program, got {programs}")
    prog_path = os.path.join(pins, programs[0])
    fds = []
    try:
        prog_fd = obj_get(prog_path)
        fds.append(prog_fd)
        info = prog_info(prog_fd)
        maps = {}
        map_fds = {}
        for name in os.listdir(map_pins):
            fd = obj_get(os.path.join(map_pins, name))
            fds.append(fd)
            maps[name] = map_info(fd)
            map_fds[name] = fd
        text = subprocess.run(["bpftool", "prog", "dump", "xlated", "pinned", prog_path, "linum"],
                              capture_output=True, text=True, check=True).stdout
        return run_classes(info, verifier, maps, map_fds, prog_fd, text, fuzz)
    finally:
        for fd in fds:
            os.close(fd)


def run_classes(info, verifier, maps, map_fds, prog_fd, text, fuzz=0):
    toeplitz_vectors = check_toeplitz()
    offsets = kernel_offsets()
    insns = decode(info["xlated"])
    disasm, helpers, function_heads, sources = parse_xlated_text(text)
    functions = dict(zip(info["func_offsets"], [function_heads.get(o, f"func@{o}") for o in info["func_offsets"]]))
    starts = sorted(functions)

    def function_of(index):
        return functions[starts[bisect.bisect_right(starts, index) - 1]]

    # Line-info regions: [insn_off, next insn_off) in BPF, [jited addr, next addr) in x86.
    line_info = info["line_info"]
    owner = source_functions(os.path.join(ROOT, SOURCE))
    # The JIT image: the functions' images one after another, in ksym order.
    image_base, position = {}, 0
    for ksym, length in zip(info["ksyms"], info["func_lens"]):
        image_base[ksym] = (position, length)
        position += length
    ksym_sorted = sorted(image_base)

    def image_offset(address):
        ksym = ksym_sorted[bisect.bisect_right(ksym_sorted, address) - 1]
        return image_base[ksym][0] + address - ksym

    x86_starts = x86_instruction_starts(info["jited"])
    if len(info["jited_line_info"]) != len(line_info) or len(info["ksyms"]) != len(starts):
        raise SystemExit("program-paths: the jited line info does not match the line info")
    regions = []
    for i, (insn_off, line) in enumerate(line_info):
        func = function_of(insn_off)
        # The functions' ksyms come in subprogram order, as their func_info does.
        func_index = bisect.bisect_right(starts, insn_off) - 1
        func_end = starts[func_index + 1] if func_index + 1 < len(starts) else len(insns)
        end = min(line_info[i + 1][0] if i + 1 < len(line_info) else len(insns), func_end)
        x_start = image_offset(info["jited_line_info"][i])
        next_same_function = i + 1 < len(line_info) and line_info[i + 1][0] < func_end
        x_end = (image_offset(info["jited_line_info"][i + 1]) if next_same_function
                 else image_base[info["ksyms"][func_index]][0] + info["func_lens"][func_index])
        regions.append({"insn_start": insn_off, "insn_end": end, "line": line, "function": func,
                        "c_function": owner.get(line, "?"), "source": sources.get(insn_off, ""),
                        "x86_bytes": x_end - x_start,
                        "x86_insns": bisect.bisect_left(x86_starts, x_end) - bisect.bisect_left(x86_starts, x_start)})
    # The regions must cover both images exactly, each instruction once.
    if (sum(r["insn_end"] - r["insn_start"] for r in regions) != len(insns)
            or sum(r["x86_bytes"] for r in regions) != len(info["jited"])):
        raise SystemExit("program-paths: the line-info regions do not cover the program")
    region_of = [None] * len(insns)
    for index, region in enumerate(regions):
        for i in range(region["insn_start"], region["insn_end"]):
            region_of[i] = index
    machine = Machine(insns, disasm, helpers, maps, offsets, functions)
    # bpf_array.value's offset as the verifier's inlined lookups add it
    if not any(code == 0x07 and imm == offsets["bpf_array.value"] for code, _, _, _, imm in insns):
        raise SystemExit("program-paths: no inlined array lookup adds bpf_array.value's offset")

    active_id = struct.unpack("<I", map_lookup(map_fds["vnet_rss_active"], bytes(4), 4))[0]
    slot_name = next(n for n, m in maps.items() if m["id"] == active_id)
    configurations = {
        "benchmark": (slot_image([i % 4 for i in range(128)], 0), lambda h: [i % 4 for i in range(128)][h & 127], 0),
        "identity": (slot_image(list(range(MAX_TABLE)), 0xBEEF), lambda h: h & 0xFFFF, 0xBEEF),
    }
    classes = frame_classes()
    results = {}
    for config_name, (image, expected_queue, unclassified) in configurations.items():
        map_update(map_fds[slot_name], bytes(4), image)
        for name, frame, hash_input in classes:
            kernel = test_run(prog_fd, frame)
            mine, stats = machine.run(frame, image)
            expected = unclassified if hash_input is None else expected_queue(toeplitz(MICROSOFT_KEY, hash_input))
            if not (kernel == mine == expected):
                raise SystemExit(f"program-paths: {name} ({config_name}): kernel {kernel}, interpreter {mine}, "
                                 f"expected {expected}")
            if config_name == "benchmark":
                results[name] = summarise(stats, regions, region_of, function_of, functions, helpers, disasm)
                results[name]["queue"] = mine
                results[name]["hash"] = None if hash_input is None else toeplitz(MICROSOFT_KEY, hash_input)
            else:
                if results[name]["executed"] != sum(stats["executed"]):
                    raise SystemExit(f"program-paths: {name}: the count depends on the table")
                results[name]["hash_low16_checked"] = mine
    if fuzz:
        totals_fuzz = fuzz_check(machine, prog_fd, classes, configurations["identity"][0], fuzz)
    totals = {"xlated_insns": len(insns), "jited_bytes": len(info["jited"]), "x86_insns": len(x86_starts),
              "verified_insns": info["verified_insns"], "verifier": verifier, "offsets": offsets,
              "functions": {name: {"xlated_insns": (starts[k + 1] if k + 1 < len(starts) else len(insns)) - s,
                                   "jited_bytes": info["func_lens"][k]}
                            for k, (s, name) in enumerate(sorted(functions.items()))}}
    c_totals = {}
    for region in regions:
        entry = c_totals.setdefault(region["c_function"], {"xlated_insns": 0, "x86_bytes": 0})
        entry["xlated_insns"] += region["insn_end"] - region["insn_start"]
        entry["x86_bytes"] += region["x86_bytes"]
    totals["c_functions"] = c_totals
    totals["toeplitz_vectors_checked"] = toeplitz_vectors
    if fuzz:
        totals["fuzz"] = totals_fuzz
    return {"totals": totals, "classes": results, "regions": regions}


def fuzz_check(machine, prog_fd, classes, image, count):
    """The interpreter against the kernel on `count` frames made from the classes' frames:
    cut short, bytes of their first 80 changed, tags or extension headers shuffled. The slot
    in force is the identity table's, so a return value carries the hash's low 16 bits."""
    import random
    generator = random.Random(24)
    frames = [frame for _, frame, _ in classes]
    interesting = [0x00, 0x06, 0x11, 0x2B, 0x2C, 0x33, 0x3C, 0x87, 0x3B, 0x81, 0x88, 0xA8, 0x86, 0xDD, 0x08,
                   0x45, 0x46, 0x4F, 0x60, 0xC9, 0x10, 0x02, 0x01, 0xFF, 0x20, 0x3F]
    agreed, steps, classified, walked = 0, 0, 0, 0
    for _ in range(count):
        frame = bytearray(generator.choice(frames))
        for _ in range(generator.randint(0, 4)):
            position = generator.randrange(12, min(len(frame), 80))
            frame[position] = generator.choice(interesting) if generator.random() < 0.7 else generator.randrange(256)
        if generator.random() < 0.3:
            frame = frame[:generator.randint(0, len(frame))]
        if generator.random() < 0.2:
            frame = frame[:12] + bytes([0x81, 0, 0, generator.randrange(16)]) + frame[12:]
        kernel = test_run(prog_fd, bytes(frame))
        mine, stats = machine.run(bytes(frame), image)
        if kernel != mine:
            raise SystemExit(f"program-paths: fuzz frame {bytes(frame).hex()}: kernel {kernel}, interpreter {mine}")
        agreed += 1
        classified += mine != 0xBEEF
        walked += bool(stats["callbacks"])
        steps = max(steps, sum(stats["executed"]))
    return {"frames": agreed, "classified": classified, "through_bpf_loop": walked, "longest_path": steps}


def summarise(stats, regions, region_of, function_of, functions, helpers, disasm):
    executed = stats["executed"]
    per_function, per_c_function, per_region = {}, {}, {}
    for index, count in enumerate(executed):
        if not count:
            continue
        func = function_of(index)
        per_function[func] = per_function.get(func, 0) + count
        region = region_of[index]
        per_region[region] = per_region.get(region, 0) + count
        c_function = regions[region]["c_function"] if region is not None else "?"
        per_c_function[c_function] = per_c_function.get(c_function, 0) + count
    entry_function = functions[min(functions)]
    entered = sorted(per_region)
    inlined_loop = sum(count for index, count in enumerate(executed)
                       if count and region_of[index] is not None and "bpf_loop(" in regions[region_of[index]]["source"])
    lookups = sum(executed[regions[r]["insn_start"]] for r in range(len(regions))
                  if "bpf_map_lookup_elem(" in regions[r]["source"] and executed[regions[r]["insn_start"]])
    return {
        "executed": sum(executed),
        "in_callbacks": sum(c for f, c in per_function.items() if f != entry_function),
        "per_function": per_function,
        "per_c_function": per_c_function,
        "callback_invocations": {functions.get(t, t): n for t, n in stats["callbacks"].items()},
        "inlined_bpf_loop_insns": inlined_loop,
        "inlined_map_lookups": lookups,
        "helpers": stats["helpers"],
        "frame_loads": stats["frame_loads"],
        "copy_reads": {"loads": stats["copy_reads"][0], "bytes": stats["copy_reads"][1]},
        "x86_bytes_on_path": sum(regions[r]["x86_bytes"] for r in entered),
        "x86_insns_on_path": sum(regions[r]["x86_insns"] for r in entered),
        "xlated_insns_on_path": sum(1 for c in executed if c),
        "hottest_lines": hottest(per_region, regions),
    }


def hottest(per_region, regions, count=8):
    """The source lines that ran the most instructions (all of a line's regions together)."""
    lines = {}
    for region, executed in per_region.items():
        if region is not None:
            line = regions[region]["line"]
            total, source = lines.get(line, (0, regions[region]["source"]))
            lines[line] = (total + executed, source or regions[region]["source"])
    return sorted(((total, line, source) for line, (total, source) in lines.items()), reverse=True)[:count]


# Phases of the source, by the C function each instruction's line lies in (inlined code
# included): what the frame's path does there.
PHASES = [
    ("entry, queue", ("vnet_rss_steering",)),
    ("common shapes", ("common_shape", "common_fields", "drop_tags", "is_vlan_tag")),
    ("frame loads", ("load",)),
    ("general parse", ("general_shape", "prefix_copy", "parse", "set_transport")),
    ("copy reads", ("read",)),
    ("walk_step", ("walk_step",)),
    ("search_step", ("search_step",)),
    ("select_input", ("select_input",)),
    ("Toeplitz", ("toeplitz", "contribution")),
]


def markdown(result, detail):
    totals = result["totals"]
    lines = [
        "| class | BPF instructions executed | of which in bpf_loop callbacks | helper calls | frame loads (calls, bytes) "
        "| reads of the head copy (loads, bytes) | distinct BPF insns / x86 bytes on path |",
        "|---|---:|---:|---|---|---|---:|",
    ]
    for name, row in result["classes"].items():
        callbacks = row["in_callbacks"]
        invocations = ", ".join(f"{f} ×{n}" for f, n in row["callback_invocations"].items())
        helpers = ", ".join(f"{h} ×{n}" for h, n in row["helpers"].items()) or "none"
        loads = row["frame_loads"]
        lines.append(
            f"| {name} | {row['executed']} | {callbacks}" + (f" ({invocations})" if invocations else "")
            + f" | {helpers}; {row['inlined_map_lookups']} inlined lookups | {len(loads)}, "
            + "+".join(str(length) for _, length in loads) + f" = {sum(length for _, length in loads)}"
            + f" | {row['copy_reads']['loads']}, {row['copy_reads']['bytes']}"
            + f" | {row['xlated_insns_on_path']} / {row['x86_bytes_on_path']} |")
    verifier = totals["verifier"]
    lines += [
        "",
        {True: "The compiled object is the embedded tables build (debug sections stripped).",
         False: "The compiled object is NOT the embedded tables build: rerun scripts/bpf-embed.py.",
         None: "The object was not compared with the embedded one."}[totals.get("matches_embedded_object")],
        f"Program: {totals['xlated_insns']} xlated instructions, {totals['jited_bytes']} bytes of x86 "
        f"({totals['x86_insns']} instructions); the verifier processed {verifier.get('processed', totals['verified_insns'])} "
        f"instructions" + (f" (peak states {verifier['peak_states']}, stack depth {verifier['stack_depth']})"
                            if "peak_states" in verifier else "") + ".",
        "Functions: " + "; ".join(f"{n} {f['xlated_insns']} insns / {f['jited_bytes']} bytes"
                                  for n, f in totals["functions"].items()) + ".",
    ]
    if "fuzz" in totals:
        fuzzed = totals["fuzz"]
        lines.append(f"Interpreter and kernel agreed on {fuzzed['frames']} mutated frames ({fuzzed['classified']} "
                     f"hashed, {fuzzed['through_bpf_loop']} through bpf_loop; longest path {fuzzed['longest_path']} "
                     "instructions).")
    lines += ["", "| class | " + " | ".join(name for name, _ in PHASES) + " |", "|---|" + "---:|" * len(PHASES)]
    for name, row in result["classes"].items():
        cells = [sum(row["per_c_function"].get(c, 0) for c in members) for _, members in PHASES]
        if sum(cells) != row["executed"]:
            known = {c for _, members in PHASES for c in members}
            missing = sorted(set(row["per_c_function"]) - known)
            raise SystemExit(f"program-paths: {name}: the phases miss instructions (of {', '.join(missing) or 'none'})")
        lines.append(f"| {name} | " + " | ".join(str(c) for c in cells) + " |")
    if detail:
        names = sorted({c for row in result["classes"].values() for c in row["per_c_function"]},
                       key=lambda c: -max(r["per_c_function"].get(c, 0) for r in result["classes"].values()))
        lines += ["", "| class | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
        for name, row in result["classes"].items():
            lines.append(f"| {name} | " + " | ".join(str(row["per_c_function"].get(c, 0)) for c in names) + " |")
        lines += ["", "Static size per C function (inlined code included): "
                  + "; ".join(f"{c} {v['xlated_insns']} insns / {v['x86_bytes']} bytes"
                              for c, v in sorted(totals["c_functions"].items(), key=lambda kv: -kv[1]["xlated_insns"]))]
        for name, row in result["classes"].items():
            lines += ["", f"{name}: hottest lines"]
            for count, line, source in row["hottest_lines"]:
                lines.append(f"    {count:5} line {line}: {source}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--object", help="a compiled steering object (default: compile bpf/steering.bpf.c)")
    parser.add_argument("--json", help="write the whole result as JSON here")
    parser.add_argument("--detail", action="store_true", help="per class: C functions and hottest lines")
    parser.add_argument("--fuzz", type=int, default=0, metavar="N",
                        help="also check the interpreter against the kernel on N frames mutated from the classes")
    parser.add_argument("--verifier-log", action="store_true",
                        help="load with bpftool -d for the verifier's states and stack line (slow: a minute)")
    args = parser.parse_args()
    for tool in ("bpftool", "objdump"):
        if not shutil.which(tool):
            raise SystemExit(f"program-paths: {tool} is missing")
    with tempfile.TemporaryDirectory(prefix="program-paths-") as directory:
        embedded = None
        if args.object:
            obj = args.object
        else:
            obj, clang = compile_object(directory)
            embedded = matches_embedded(obj, clang)
        mount = os.path.join(directory, "bpffs")
        os.mkdir(mount)
        subprocess.run(["mount", "-t", "bpf", "bpf", mount], check=True)
        try:
            result = analyse(obj, mount, args.verifier_log, args.fuzz)
        finally:
            for sub in ("progs", "maps"):
                path = os.path.join(mount, sub)
                if os.path.isdir(path):
                    for name in os.listdir(path):
                        os.unlink(os.path.join(path, name))
                    os.rmdir(path)
            subprocess.run(["umount", mount], check=False)
    result["totals"]["matches_embedded_object"] = embedded
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=1)
    print(markdown(result, args.detail))


if __name__ == "__main__":
    main()
