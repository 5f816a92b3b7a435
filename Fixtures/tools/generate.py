#!/usr/bin/env python3
"""Generates Fixtures/: vector files and capture files with their expected decisions.

Run from anywhere: python3 Fixtures/tools/generate.py [OUTPUT_DIR]. Deterministic: the same bytes
every run, so `make test` regenerates into a temporary folder and compares with the committed files.
Expected values come from rss_oracle.py (an independent Python model of the spec), and the
published vectors are typed in from their sources (see Fixtures/README.md).
"""
import ipaddress
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
import rss_oracle as oracle  # noqa: E402

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "vectors")
CAPTURES = os.path.join(ROOT, "captures")

MAC_DST = bytes.fromhex("020000000001")
MAC_SRC = bytes.fromhex("020000000002")


def addr(text):
    return ipaddress.ip_address(text).packed


# ---------------------------------------------------------------- frame builders

def eth(ethertype, payload, tags=()):
    out = MAC_DST + MAC_SRC
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + payload


def tcp(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)


def udp(sport, dport, payload=b"vnet-rss"):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(src, dst, proto, payload, options=b"", frag=0):
    assert len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), 0x1234, frag, 64, proto, 0,
                         addr(src), addr(dst))
    return eth(0x0800, header + options + payload)


def ipv4_tagged(tags, src, dst, proto, payload):
    frame = ipv4(src, dst, proto, payload)
    return eth(0x0800, frame[14:], tags)


def ipv6(src, dst, nh, payload):
    header = struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64, addr(src), addr(dst))
    return eth(0x86DD, header + payload)


def ext8(nh, body):
    """An extension header counted in 8-byte units (Hop-by-Hop, Routing, Destination Options,
    Mobility): next header, length, body padded to a multiple of 8."""
    body = body + bytes((-(len(body) + 2)) % 8)
    return bytes([nh, (len(body) + 2) // 8 - 1]) + body


def padn(size):
    return bytes([1, size - 2]) + bytes(size - 2) if size >= 2 else b"\x00" * size


def dest_opts_home(nh, home):
    # PadN(4) then the Home Address option (type 0xC9, 16 bytes): 2 + 4 + 18 = 24 bytes.
    return ext8(nh, padn(4) + bytes([0xC9, 16]) + addr(home))


def routing_type2(nh, address):
    return bytes([nh, 2, 2, 1]) + bytes(4) + addr(address)


def routing_type0(nh):
    return bytes([nh, 0, 0, 0]) + bytes(4)


def fragment_header(nh, offset=0, more=True):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | (1 if more else 0), 0xABCDEF)


def ah(nh):
    # length field (in 4-byte units minus 2) = 4: 24 bytes
    return bytes([nh, 4, 0, 0]) + struct.pack("!II", 0x100, 1) + bytes(12)


V6A, V6B = "2001:db8::10", "2001:db8::20"
HOME, CARE = "2001:db8:ffff::1", "2001:db8:eeee::2"


def catalogue():
    """(name, frame) pairs covering every hash type and every parser path (Fixtures/README.md)."""
    frames = []
    add = lambda name, frame: frames.append((name, frame))  # noqa: E731
    # IPv4
    add("tcpv4", ipv4("192.0.2.1", "198.51.100.2", 6, tcp(40000, 443)))
    add("udpv4", ipv4("192.0.2.1", "198.51.100.2", 17, udp(5353, 53)))
    add("ipv4-icmp", ipv4("192.0.2.1", "198.51.100.2", 1, bytes([8, 0, 0, 0, 0, 1, 0, 1])))
    add("ipv4-options-ihl6-tcp", ipv4("10.1.2.3", "10.4.5.6", 6, tcp(1234, 80), options=bytes([1, 1, 1, 0])))
    add("ipv4-options-ihl15-udp", ipv4("10.1.2.3", "10.4.5.6", 17, udp(1234, 80), options=bytes([1] * 39 + [0])))
    add("ipv4-first-fragment-tcp", ipv4("192.0.2.7", "198.51.100.9", 6, tcp(2000, 3000), frag=0x2000))
    add("ipv4-later-fragment", ipv4("192.0.2.7", "198.51.100.9", 6, bytes(16), frag=100))
    add("ipv4-last-fragment-udp", ipv4("192.0.2.7", "198.51.100.9", 17, udp(9, 9), frag=185))
    add("ipv4-ihl4", eth(0x0800, bytes([0x44]) + ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2))[15:]))
    add("ipv4-version6-in-ipv4-ethertype", eth(0x0800, bytes([0x65]) + ipv4("1.1.1.1", "2.2.2.2", 6, tcp(1, 2))[15:]))
    add("ipv4-ihl15-past-frame", eth(0x0800, bytes([0x4F]) + ipv4("1.1.1.1", "2.2.2.2", 17, b"")[15:]))
    add("ipv4-tcp-ports-cut", ipv4("192.0.2.1", "198.51.100.2", 6, tcp(40000, 443))[:14 + 20 + 3])
    add("ipv4-udp-ports-only", ipv4("192.0.2.1", "198.51.100.2", 17, udp(7, 8))[:14 + 20 + 4])
    # VLAN
    add("vlan-tcpv4", ipv4_tagged([(0x8100, 100)], "192.0.2.1", "198.51.100.2", 6, tcp(40001, 443)))
    add("qinq-udpv4", ipv4_tagged([(0x88A8, 10), (0x8100, 20)], "192.0.2.1", "198.51.100.2", 17, udp(5000, 6000)))
    add("three-tags-unclassified", ipv4_tagged([(0x88A8, 1), (0x8100, 2), (0x8100, 3)], "192.0.2.1", "198.51.100.2", 6, tcp(1, 2)))
    add("vlan-tcpv6", eth(0x86DD, ipv6(V6A, V6B, 6, tcp(40002, 443))[14:], [(0x8100, 7)]))
    # IPv6 without extension headers
    add("tcpv6", ipv6(V6A, V6B, 6, tcp(40000, 443)))
    add("udpv6", ipv6(V6A, V6B, 17, udp(5353, 53)))
    add("ipv6-icmpv6", ipv6(V6A, V6B, 58, bytes([128, 0, 0, 0, 0, 1, 0, 1])))
    add("ipv6-esp", ipv6(V6A, V6B, 50, struct.pack("!II", 0x1001, 1) + bytes(16)))
    add("ipv6-no-next-header", ipv6(V6A, V6B, 59, b""))
    # IPv6 with extension headers
    add("ipv6-hbh-tcp", ipv6(V6A, V6B, 0, ext8(6, padn(6)) + tcp(1111, 2222)))
    add("ipv6-dstopts-home-tcp", ipv6(CARE, V6B, 60, dest_opts_home(6, HOME) + tcp(1111, 2222)))
    add("ipv6-routing2-udp", ipv6(V6A, CARE, 43, routing_type2(17, HOME) + udp(3333, 4444)))
    add("ipv6-home-and-routing2-tcp", ipv6(CARE, V6B, 60, dest_opts_home(43, HOME) + routing_type2(6, "2001:db8:aaaa::3") + tcp(5555, 6666)))
    add("ipv6-routing0-tcp", ipv6(V6A, V6B, 43, routing_type0(6) + tcp(7777, 8888)))
    add("ipv6-first-fragment-tcp", ipv6(V6A, V6B, 44, fragment_header(6, 0, True) + tcp(1000, 2000)))
    add("ipv6-later-fragment", ipv6(V6A, V6B, 44, fragment_header(6, 64, False) + bytes(24)))
    add("ipv6-dstopts-home-then-fragment", ipv6(CARE, V6B, 60, dest_opts_home(44, HOME) + fragment_header(17, 0, True) + udp(1, 2)))
    add("ipv6-ah-udp", ipv6(V6A, V6B, 51, ah(17) + udp(4500, 4500)))
    add("ipv6-hbh-esp", ipv6(V6A, V6B, 0, ext8(50, padn(6)) + bytes(24)))
    add("ipv6-mobility", ipv6(CARE, V6B, 135, ext8(59, bytes([5, 0]) + bytes(4))))
    chain = [0, 60, 43, 60, 51, 0, 60, 43]  # eight headers, then TCP
    add("ipv6-chain-8-tcp", ipv6(V6A, V6B, chain[0], build_chain(chain, 6) + tcp(9999, 80)))
    chain9 = chain + [60]
    add("ipv6-chain-9-past-bound-tcp", ipv6(V6A, V6B, chain9[0], build_chain(chain9, 6) + tcp(9999, 80)))
    add("ipv6-ext-truncated", ipv6(V6A, V6B, 60, dest_opts_home(6, HOME))[:14 + 40 + 20])
    add("ipv6-ext-length-past-frame", ipv6(V6A, V6B, 0, bytes([6, 200]) + bytes(6)))
    add("ipv6-version4-in-ipv6-ethertype", eth(0x86DD, bytes([0x40]) + ipv6(V6A, V6B, 6, tcp(1, 2))[15:]))
    # non-IP
    add("arp", eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_SRC, addr("192.0.2.1"), bytes(6), addr("192.0.2.2"))))
    add("loopback-ethertype", eth(0x9000, bytes(46)))
    add("runt-13-bytes", (MAC_DST + MAC_SRC + b"\x08")[:13])
    add("empty", b"")
    return frames


def build_chain(kinds, final):
    out = b""
    for index, kind in enumerate(kinds):
        nh = kinds[index + 1] if index + 1 < len(kinds) else final
        if kind == 51:
            out += ah(nh)
        elif kind == 43:
            out += routing_type0(nh)
        else:
            out += ext8(nh, padn(6))
    return out


def truncations():
    """Every prefix of a VLAN-tagged TCPv4 frame with options and of an IPv6 frame with a Home
    Address, a type-2 routing header and TCP: every header boundary and every byte between."""
    v4 = eth(0x0800, ipv4("192.0.2.1", "198.51.100.2", 6, tcp(40000, 443), options=bytes([1, 1, 1, 0]))[14:], [(0x8100, 5)])
    v6 = ipv6(CARE, V6B, 60, dest_opts_home(43, HOME) + routing_type2(6, "2001:db8:aaaa::3") + tcp(5555, 6666))
    frames = [(f"tcpv4-vlan-options-cut-{n}", v4[:n]) for n in range(len(v4) + 1)]
    frames += [(f"tcp-ex-cut-{n}", v6[:n]) for n in range(len(v6) + 1)]
    return frames


# ---------------------------------------------------------------- capture writers

def write_pcap(path, frames):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for index, (_, frame) in enumerate(frames):
            out.write(struct.pack("<IIII", 1700000000 + index, 0, len(frame), len(frame)))
            out.write(frame)


def write_pcapng(path, frames):
    def block(kind, body):
        body += bytes((-len(body)) % 4)
        length = 12 + len(body)
        return struct.pack("<II", kind, length) + body + struct.pack("<I", length)

    with open(path, "wb") as out:
        out.write(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
        out.write(block(0x00000001, struct.pack("<HHI", 1, 0, 65535)))
        for index, (_, frame) in enumerate(frames):
            stamp = (1700000000 + index) * 1000000
            out.write(block(0x00000006, struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame)) + frame))


# ---------------------------------------------------------------- expectations

VARIANTS = [
    # (suffix, CLI arguments, oracle keyword arguments)
    ("default", [], {}),
    ("qemu-ex", ["--ex-compat", "qemu"], {"ex_rule": "qemu"}),
    ("no-ex-types", ["--hash-types", "ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6"], {"types": 0x3F}),
    ("addresses-only", ["--hash-types", "ipv4,ipv6,ip_ex", "--queues", "3", "--unclassified-queue", "5"],
     {"types": 0x49, "queues": 3, "unclassified": 5}),
    ("ex-and-tcpv6", ["--hash-types", "ip_ex,tcpv6", "--indirection-table", "0,1,2,3,4,5,6,7", "--queues", "8"],
     {"types": 0x50, "queues": 8, "table": list(range(8))}),
    ("qemu-ex-and-tcpv6", ["--hash-types", "ip_ex,tcpv6", "--ex-compat", "qemu"], {"types": 0x50, "ex_rule": "qemu"}),
    ("kernel-selftest-table", ["--hash-types", "ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6", "--indirection-table", "3,4", "--queues", "3", "--unclassified-queue", "5"],
     {"types": 0x3F, "queues": 3, "table": [3, 4], "unclassified": 5}),
]


def expectations(capture, frames):
    entries = []
    for suffix, args, kwargs in VARIANTS:
        name = f"{os.path.splitext(capture)[0]}.{suffix}.expected.jsonl"
        with open(os.path.join(CAPTURES, name), "w") as out:
            for index, (_, frame) in enumerate(frames, start=1):
                value, report, queue = oracle.decide(frame, **kwargs)
                out.write(json.dumps({"frame": index, "hash_value": value, "hash_report": report, "queue": queue}) + "\n")
        entries.append({"capture": capture, "arguments": args, "configuration": structured(kwargs), "expected": name})
    return entries


def structured(kwargs):
    """The variant as a vector file's `configuration` object, for the library-level tests."""
    queues = kwargs.get("queues", 4)
    types = kwargs.get("types", oracle.ALL_TYPES)
    return {
        "hash_types": ",".join(name for bit, name in enumerate(oracle.TYPE_NAMES) if types & (1 << bit)) or "none",
        "indirection_table": kwargs.get("table", [i % queues for i in range(128)]),
        "unclassified_queue": kwargs.get("unclassified", 0),
        "queues": queues,
        "ex_rule": kwargs.get("ex_rule", "spec"),
    }


def write_names(capture, frames):
    with open(os.path.join(CAPTURES, os.path.splitext(capture)[0] + ".frames.txt"), "w") as out:
        for index, (name, frame) in enumerate(frames, start=1):
            out.write(f"{index}\t{len(frame)}\t{name}\n")


# ---------------------------------------------------------------- vector files

def microsoft_vectors():
    rows = [
        ("66.9.149.187", 2794, "161.142.100.80", 1766, 0x323E8FC2, 0x51CCC178),
        ("199.92.111.2", 14230, "65.69.140.83", 4739, 0xD718262A, 0xC626B0EA),
        ("24.19.198.95", 12898, "12.22.207.184", 38024, 0xD2D0A5DE, 0x5C2B394A),
        ("38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xAFC7327F),
        ("153.39.163.191", 44251, "202.188.127.2", 1303, 0x5D1809C5, 0x10E828A2),
        ("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766, 0x2CC18CD5, 0x40207D3D),
        ("3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739, 0x0F0C461C, 0xDDE51BBF),
        ("3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, "fe80::200:f8ff:fe21:67cf", 38024, 0x4B61E985, 0x02D1FEEF),
    ]
    cases = []
    for number, (src, sport, dst, dport, l3, l4) in enumerate(rows, start=1):
        cases.append({"name": f"ms-{number}-l3", "src_ip": src, "dst_ip": dst, "hash": f"0x{l3:08x}"})
        cases.append({"name": f"ms-{number}-l3l4", "src_ip": src, "dst_ip": dst, "src_port": sport, "dst_port": dport,
                      "hash": f"0x{l4:08x}"})
        for name, data, want in ((f"ms-{number}-l3", addr(src) + addr(dst), l3),
                                 (f"ms-{number}-l3l4", addr(src) + addr(dst) + struct.pack("!HH", sport, dport), l4)):
            assert oracle.toeplitz(oracle.MICROSOFT_KEY, data) == want, name
    return {
        "source": "Microsoft 'Verifying the RSS Hash Calculation' (windows-driver-docs), the Intel 82599 datasheet "
                  "§7.1.2.8.3 RSS Verification Suite as in DPDK app/test/test_thash.c; SPEC B §4.2",
        "kind": "toeplitz", "key": oracle.MICROSOFT_KEY.hex(), "cases": cases}


def kernel_selftest_vectors():
    """SPEC B §4.3: the v12 selftest's packets, 3 queues, mask 1, table {3,4}, unclassified 5."""
    a4, b4, a6, b6 = "172.17.0.0", "172.17.0.1", "ffff::ac11:0", "ffff::ac11:1"
    packets = [
        ("ipv4-proto253", ipv4(a4, b4, 253, b"\x00" * 8), 0x6E45D952, 1, 0),
        ("tcpv4-9-9", ipv4(a4, b4, 6, tcp(9, 9)), 0xFB63539A, 2, 0),
        ("udpv4-9-9", ipv4(a4, b4, 17, udp(9, 9)), 0xFB63539A, 3, 0),
        ("ipv6-proto253", ipv6(a6, b6, 253, b"\x00" * 8), 0xD6EB560F, 4, 1),
        ("tcpv6-9-9", ipv6(a6, b6, 6, tcp(9, 9)), 0xC2B9F251, 5, 1),
        ("udpv6-9-9", ipv6(a6, b6, 17, udp(9, 9)), 0xC2B9F251, 6, 1),
        ("loopback-ethertype", eth(0x9000, bytes(46)), 0, 0, 2),
    ]
    cases = []
    for name, frame, value, report, queue in packets:
        got = oracle.decide(frame, types=0x3F, table=[3, 4], queues=3, unclassified=5)
        assert got == (value, report, queue), (name, got)
        cases.append({"name": name, "frame": frame.hex(), "hash_value": f"0x{value:08x}", "hash_report": report, "queue": queue})
    return {
        "source": "Linux series 'tun: Introduce virtio-net RSS' v12 8/10, tools/testing/selftests/net/tun.c "
                  "(20250530-rss-v12-8-95d8b348de91@daynix.com); SPEC B §4.3",
        "kind": "frame",
        "configuration": {"hash_types": "0x3f", "indirection_table": [3, 4], "unclassified_queue": 5, "queues": 3},
        "cases": cases}


def configuration_vectors():
    key = oracle.MICROSOFT_KEY
    le16 = lambda v: struct.pack("<H", v)  # noqa: E731
    le32 = lambda v: struct.pack("<I", v)  # noqa: E731
    h16 = lambda v: struct.pack("=H", v)  # noqa: E731
    h32 = lambda v: struct.pack("=I", v)  # noqa: E731

    def virtio_rss(types, table, unclassified=0, max_tx=None, key_bytes=key, key_len=None):
        max_tx = max(table) + 1 if max_tx is None else max_tx
        out = le32(types) + le16(len(table) - 1) + le16(unclassified) + b"".join(le16(e) for e in table)
        return out + le16(max_tx) + bytes([len(key_bytes) if key_len is None else key_len]) + key_bytes

    def virtio_hash(types, key_bytes=key, reserved=(0, 0, 0, 0)):
        return le32(types) + b"".join(le16(r) for r in reserved) + bytes([len(key_bytes)]) + key_bytes

    def compound(flags, types, table=(), unclassified=0, key_bytes=key, pad=0, mask=None):
        out = h16(flags) + h16(pad) + h32(types)
        if flags & 2:
            out += h16(len(table) - 1 if mask is None else mask) + h16(unclassified) + b"".join(h16(e) for e in table) + key_bytes
        return out

    def split(types, table, unclassified=0, key_bytes=key):
        return h32(types) + h16(len(table) - 1) + h16(unclassified) + b"".join(h16(e) for e in table) + key_bytes

    table128 = [i % 4 for i in range(128)]
    cases = []

    def ok(name, fmt, policy, blob, summary, pairs=4):
        cases.append({"name": name, "format": fmt, "policy": policy, "queue_pairs": pairs, "blob": blob.hex(), "summary": summary})

    def bad(name, fmt, policy, blob, rule, field, value, limit, pairs=4):
        cases.append({"name": name, "format": fmt, "policy": policy, "queue_pairs": pairs, "blob": blob.hex(),
                      "error": {"rule": rule, "field": field, "value": value, "limit": limit}})

    all_names = ",".join(oracle.TYPE_NAMES)
    # valid, every format
    ok("virtio-rss-128-all", "virtio-rss", "virtio", virtio_rss(0x1FF, table128),
       f"features=rss types={all_names} mask=127 table=128 unclassified=0 key=40 max_tx_vq=4")
    ok("virtio-rss-1-entry-ipv4", "virtio-rss", "virtio", virtio_rss(0x1, [2], 3, max_tx=4, key_bytes=key[:12]),
       "features=rss types=ipv4 mask=0 table=1 unclassified=3 key=12 max_tx_vq=4")
    ok("virtio-rss-disabled-no-key", "virtio-rss", "virtio", virtio_rss(0, [0], key_bytes=b"", max_tx=1),
       "features=rss types=none mask=0 table=1 unclassified=0 key=0 max_tx_vq=1")
    ok("virtio-hash-all", "virtio-hash", "virtio", virtio_hash(0x1FF),
       f"features=report types={all_names} mask=0 table=0 unclassified=0 key=40 max_tx_vq=1")
    ok("compound-report-rss", "compound", "kernel", compound(3, 0x3F, table128),
       "features=report,rss types=ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6 mask=127 table=128 unclassified=0 key=40 max_tx_vq=1")
    ok("compound-report-only-no-types", "compound", "kernel", compound(1, 0),
       "features=report types=none mask=0 table=0 unclassified=0 key=0 max_tx_vq=1")
    ok("compound-kernel-mask-5", "compound", "kernel", compound(2, 0x3F, [0, 1, 2, 3, 4, 5], 9),
       "features=rss types=ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6 mask=5 table=6 unclassified=9 key=40 max_tx_vq=1")
    ok("compound-kernel-unknown-flags-kept", "compound", "kernel", compound(0x8003, 0x3F, [0, 1]),
       "features=report,rss,0x8000 types=ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6 mask=1 table=2 unclassified=0 key=40 max_tx_vq=1")
    ok("compound-kernel-long-key", "compound", "kernel", compound(3, 0x1FF, [0, 1], key_bytes=key + key[:12]),
       f"features=report,rss types={all_names} mask=1 table=2 unclassified=0 key=52 max_tx_vq=1")
    ok("v12-split", "v12", "kernel", split(0x3F, [0, 1, 2, 3], 1),
       "features=rss types=ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6 mask=3 table=4 unclassified=1 key=40 max_tx_vq=1")
    ok("v12-split-virtio", "v12", "virtio", split(0x1FF, [0, 1, 2, 3], 3),
       f"features=rss types={all_names} mask=3 table=4 unclassified=3 key=40 max_tx_vq=1")
    # invalid: structure
    bad("virtio-rss-empty", "virtio-rss", "virtio", b"", "truncated", "hash_types", 0, 4)
    bad("virtio-rss-7-bytes", "virtio-rss", "virtio", virtio_rss(0x1FF, table128)[:7], "truncated", "unclassified_queue", 7, 8)
    bad("virtio-rss-short-table", "virtio-rss", "virtio", virtio_rss(0x1FF, table128)[:8 + 200], "truncated", "indirection_table[0]", 208, 264)
    bad("virtio-rss-no-max-tx", "virtio-rss", "virtio", virtio_rss(0x1FF, table128)[:8 + 256 + 1], "truncated", "max_tx_vq", 265, 266)
    bad("virtio-rss-no-key-length", "virtio-rss", "virtio", virtio_rss(0x1FF, table128)[:8 + 256 + 2], "truncated", "hash_key_length", 266, 267)
    bad("virtio-rss-short-key", "virtio-rss", "virtio", virtio_rss(0x1FF, table128)[:-1], "truncated", "hash_key_data", 306, 307)
    bad("virtio-rss-trailing", "virtio-rss", "virtio", virtio_rss(0x1FF, table128) + b"\x00", "trailingBytes", "buffer", 308, 307)
    bad("virtio-hash-reserved", "virtio-hash", "virtio", virtio_hash(0x1FF, reserved=(0, 0, 7, 0)), "reservedNotZero", "reserved[2]", 7, 0)
    bad("virtio-hash-trailing", "virtio-hash", "virtio", virtio_hash(0x1FF) + b"\x01\x02", "trailingBytes", "buffer", 55, 53)
    bad("compound-pad-virtio", "compound", "virtio", compound(3, 0x3F, [0, 1], pad=0x0101), "reservedNotZero", "pad", 0x0101, 0)
    bad("compound-truncated-table", "compound", "kernel", compound(2, 0x3F, [0, 1, 2, 3])[:15], "truncated", "indirection_table[0]", 15, 20)
    bad("compound-truncated-header", "compound", "kernel", compound(2, 0x3F, [0])[:6], "truncated", "hash_types", 6, 8)
    bad("v12-truncated", "v12", "kernel", split(0x3F, [0, 1])[:9], "truncated", "indirection_table[0]", 9, 12)
    # invalid: rules
    bad("virtio-rss-not-power-of-two", "virtio-rss", "virtio", virtio_rss(0x1FF, [0, 1, 2]), "notPowerOfTwo", "indirection_table_mask", 2, 0)
    bad("virtio-rss-table-256", "virtio-rss", "virtio", virtio_rss(0x1FF, [i % 4 for i in range(256)]), "aboveMaximum", "indirection_table_mask", 255, 127)
    bad("virtio-rss-key-41", "virtio-rss", "virtio", virtio_rss(0x1FF, table128, key_bytes=key + b"\x00"), "aboveMaximum", "hash_key_length", 41, 40)
    bad("virtio-rss-no-key-with-types", "virtio-rss", "virtio", virtio_rss(0x1, [0], key_bytes=b""), "belowMinimum", "hash_key_length", 0, 12)
    bad("virtio-rss-key-too-short-ipv6", "virtio-rss", "virtio", virtio_rss(0x8, [0], key_bytes=key[:35]), "belowMinimum", "hash_key_length", 35, 36)
    bad("virtio-rss-key-too-short-tcpv6", "virtio-rss", "virtio", virtio_rss(0x10, [0], key_bytes=key[:36]), "belowMinimum", "hash_key_length", 36, 40)
    bad("virtio-rss-unsupported-type", "virtio-rss", "virtio", virtio_rss(0x200, [0]), "unsupportedBits", "hash_types", 0x200, 0x1FF)
    bad("virtio-rss-unclassified-out-of-range", "virtio-rss", "virtio", virtio_rss(0x1FF, [0, 1], unclassified=4), "aboveMaximum", "unclassified_queue", 4, 3)
    bad("virtio-rss-entry-out-of-range", "virtio-rss", "virtio", virtio_rss(0x1FF, [0, 1, 9, 2], max_tx=4), "aboveMaximum", "indirection_table[2]", 9, 3)
    bad("virtio-rss-entry-reserved-bit", "virtio-rss", "virtio", virtio_rss(0x1FF, [0x8001, 1], max_tx=4), "aboveMaximum", "indirection_table[0]", 0x8001, 3)
    bad("virtio-rss-max-tx-zero", "virtio-rss", "virtio", virtio_rss(0x1FF, [0, 1], max_tx=0), "belowMinimum", "max_tx_vq", 0, 1)
    bad("virtio-rss-max-tx-above-pairs", "virtio-rss", "virtio", virtio_rss(0x1FF, [0, 1], max_tx=5), "aboveMaximum", "max_tx_vq", 5, 4)
    bad("virtio-hash-key-too-short", "virtio-hash", "virtio", virtio_hash(0x1FF, key_bytes=key[:20]), "belowMinimum", "hash_key_length", 20, 40)
    bad("compound-kernel-key-too-short", "compound", "kernel", compound(3, 0x3, [0], key_bytes=key[:15]), "belowMinimum", "hash_key_length", 15, 16)
    bad("compound-report-only-with-types", "compound", "kernel", compound(1, 0x3F), "belowMinimum", "hash_key_length", 0, 40)
    bad("compound-virtio-mask-5", "compound", "virtio", compound(2, 0x3F, [0, 1, 2, 3, 0, 1]), "notPowerOfTwo", "indirection_table_mask", 5, 0)
    for case in cases:
        assert "error" in case or case["summary"], case["name"]
    return {
        "source": "vnet-rss SPEC A1/A2 (layouts B §1.2, §1.3, §2.5; QEMU virtio_net_handle_rss rules B §3.1); "
                  "blobs built by Fixtures/tools/generate.py",
        "kind": "configuration", "cases": cases}


def write_fuzz_seeds(frames):
    """Fixtures/fuzz-seeds/TARGET/: starting corpora for scripts/fuzz.sh, from the catalogue
    frames and the configuration vectors."""
    seeds = os.path.join(ROOT, "fuzz-seeds")
    targets = {"compound": "compound", "v12": "v12", "virtio-rss": "virtio-rss", "virtio-hash": "virtio-hash"}
    for target in ["frame"] + list(targets):
        os.makedirs(os.path.join(seeds, target), exist_ok=True)
    for name, frame in frames:
        with open(os.path.join(seeds, "frame", name + ".bin"), "wb") as out:
            out.write(frame)
    for case in configuration_vectors()["cases"]:
        with open(os.path.join(seeds, targets[case["format"]], case["name"] + ".bin"), "wb") as out:
            out.write(bytes.fromhex(case["blob"]))
    # Fuzz/abi_fuzzer.c reads: format | policy << 2, blob length / 4, queue pairs, header size and
    # rule, the blob (padded to 4 bytes), then packets: each vector's blob and a TCPv4 frame.
    abi = os.path.join(seeds, "abi")
    os.makedirs(abi, exist_ok=True)
    formats = {"compound": 0, "v12": 1, "virtio-rss": 2, "virtio-hash": 3}
    frame = dict(frames).get("tcpv4", b"")
    for case in configuration_vectors()["cases"]:
        blob = bytes.fromhex(case["blob"])
        padded = blob + bytes(-len(blob) % 4)
        if len(padded) // 4 > 255:
            continue
        policy = 1 if len(padded) == len(blob) else 0
        with open(os.path.join(abi, case["name"] + ".bin"), "wb") as out:
            out.write(bytes([formats[case["format"]] | policy << 2, len(padded) // 4, 4, 20]) + padded + bytes(20) + frame)
    # Fuzz/CaptureFuzzer.swift reads a whole capture file: the fixture captures themselves.
    capture = os.path.join(seeds, "capture")
    os.makedirs(capture, exist_ok=True)
    for name in ["catalogue.pcap", "catalogue-ng.pcapng", "truncations.pcap"]:
        with open(os.path.join(CAPTURES, name), "rb") as source, open(os.path.join(capture, name), "wb") as out:
            out.write(source.read())
    # Fuzz/GuestFrameFuzzer.swift reads: control (header size, past-the-end, missing base), the
    # element count, a byte for both of those, queue and classifier, one length byte per element
    # (255: the rest), then the packet: a header of the size chosen, the frame.
    guest = os.path.join(seeds, "guest-frame")
    os.makedirs(guest, exist_ok=True)
    shapes = [("one-element", 0, [255]), ("header-split", 0, [7, 1, 0, 12, 255]),
              ("bytes-1", 0, [1] * 16), ("header-12", 1, [12, 255]), ("past-the-end", 0x08, [20, 255]),
              ("missing-base", 0x10, [20, 255]), ("refused-size", 6, [255])]
    for frame_name in ["tcpv4", "udpv6", "ipv6-home-and-routing2-tcp", "ipv6-chain-8-tcp", "arp"]:
        frame = dict(frames)[frame_name]
        for shape_name, control, lengths in shapes:
            header = bytes(12 if control & 7 in (1, 4) else 20)
            with open(os.path.join(guest, f"{frame_name}-{shape_name}.bin"), "wb") as out:
                out.write(bytes([control, len(lengths), 0x11, 0x12]) + bytes(lengths) + header + frame)
    # Fuzz/ToeplitzFuzzer.swift reads: key length, input length, stride padding, the key, inputs.
    toeplitz = os.path.join(seeds, "toeplitz")
    os.makedirs(toeplitz, exist_ok=True)
    key = oracle.MICROSOFT_KEY
    ipv4 = bytes([66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6])
    for name, seed in [("microsoft-ipv4-tcp", bytes([40, 12, 0]) + key + ipv4),
                       ("microsoft-ipv6-36", bytes([40, 36, 3]) + key + bytes(range(36))),
                       ("short-key-9", bytes([9, 5, 1]) + key[:9] + ipv4),
                       ("long-key-64", bytes([64, 33, 7]) + bytes(i * 37 & 0xFF for i in range(64)) + bytes(range(100)))]:
        with open(os.path.join(toeplitz, name), "wb") as out:
            out.write(seed)


def write_json(name, value):
    with open(os.path.join(VECTORS, name), "w") as out:
        json.dump(value, out, indent=1)
        out.write("\n")


def main():
    os.makedirs(VECTORS, exist_ok=True)
    os.makedirs(CAPTURES, exist_ok=True)
    write_json("microsoft-rss-verification.json", microsoft_vectors())
    write_json("kernel-selftest.json", kernel_selftest_vectors())
    write_json("configurations.json", configuration_vectors())

    manifest = []
    catalogue_frames = catalogue()
    write_pcap(os.path.join(CAPTURES, "catalogue.pcap"), catalogue_frames)
    write_names("catalogue.pcap", catalogue_frames)
    manifest += expectations("catalogue.pcap", catalogue_frames)
    write_pcapng(os.path.join(CAPTURES, "catalogue-ng.pcapng"), catalogue_frames)
    manifest.append({"capture": "catalogue-ng.pcapng", "arguments": [], "configuration": structured({}),
                     "expected": "catalogue.default.expected.jsonl"})
    cut_frames = truncations()
    write_pcap(os.path.join(CAPTURES, "truncations.pcap"), cut_frames)
    write_names("truncations.pcap", cut_frames)
    manifest += expectations("truncations.pcap", cut_frames)
    write_fuzz_seeds(catalogue_frames + cut_frames[::7])
    with open(os.path.join(CAPTURES, "manifest.json"), "w") as out:
        json.dump({"source": "Fixtures/tools/generate.py with expected values from Fixtures/tools/rss_oracle.py",
                   "entries": manifest}, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
