"""Frames for the guest harness: every hash type and the parser's paths (VLAN and QinQ tags,
IPv4 fragments, IPv6 extension headers, non-IP), each class over random addresses and ports so
the frames spread over the queues. Built with the fixture generator's frame builders
(Fixtures/tools/generate.py), addressed to the guest's MAC and tagged in the source MAC, which
no hash reads (02:76 and a 32-bit big-endian id), so a truncated frame stays as truncated."""
import ipaddress
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fixtures", "tools"))
import generate as g  # noqa: E402


def v4(rng):
    return str(ipaddress.IPv4Address(rng.getrandbits(32)))


def v6(rng):
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | rng.getrandbits(96)))


def port(rng):
    return rng.randrange(1, 65536)


# (class, builder(rng) -> frame without the trailer)
CLASSES = [
    ("tcpv4", lambda r: g.ipv4(v4(r), v4(r), 6, g.tcp(port(r), port(r)))),
    ("udpv4", lambda r: g.ipv4(v4(r), v4(r), 17, g.udp(port(r), port(r)))),
    ("ipv4-icmp", lambda r: g.ipv4(v4(r), v4(r), 1, bytes([8, 0, 0, 0, 0, 1, 0, 1]))),
    ("ipv4-first-fragment-tcp", lambda r: g.ipv4(v4(r), v4(r), 6, g.tcp(port(r), port(r)), frag=0x2000)),
    ("ipv4-later-fragment", lambda r: g.ipv4(v4(r), v4(r), 17, bytes(16), frag=100)),
    ("vlan-tcpv4", lambda r: g.ipv4_tagged([(0x8100, r.randrange(1, 4095))], v4(r), v4(r), 6, g.tcp(port(r), port(r)))),
    ("qinq-udpv4", lambda r: g.ipv4_tagged([(0x88A8, 10), (0x8100, 20)], v4(r), v4(r), 17, g.udp(port(r), port(r)))),
    ("tcpv6", lambda r: g.ipv6(v6(r), v6(r), 6, g.tcp(port(r), port(r)))),
    ("udpv6", lambda r: g.ipv6(v6(r), v6(r), 17, g.udp(port(r), port(r)))),
    ("ipv6-icmpv6", lambda r: g.ipv6(v6(r), v6(r), 58, bytes([128, 0, 0, 0, 0, 1, 0, 1]))),
    ("vlan-tcpv6", lambda r: g.eth(0x86DD, g.ipv6(v6(r), v6(r), 6, g.tcp(port(r), port(r)))[14:], [(0x8100, 7)])),
    ("ipv6-hbh-tcp", lambda r: g.ipv6(v6(r), v6(r), 0, g.ext8(6, g.padn(6)) + g.tcp(port(r), port(r)))),
    ("ipv6-dstopts-home-tcp",
     lambda r: g.ipv6(v6(r), v6(r), 60, g.dest_opts_home(6, v6(r)) + g.tcp(port(r), port(r)))),
    ("ipv6-routing2-udp", lambda r: g.ipv6(v6(r), v6(r), 43, g.routing_type2(17, v6(r)) + g.udp(port(r), port(r)))),
    ("ipv6-first-fragment-tcp",
     lambda r: g.ipv6(v6(r), v6(r), 44, g.fragment_header(6, 0, True) + g.tcp(port(r), port(r)))),
    ("ipv4-options-tcp",
     lambda r: g.ipv4(v4(r), v4(r), 6, g.tcp(port(r), port(r)), options=bytes([1, 1, 1, 0]))),
    ("tcpv4-ports-cut", lambda r: g.ipv4(v4(r), v4(r), 6, g.tcp(port(r), port(r)))[:14 + 20 + 3]),
    ("tcpv4-header-cut", lambda r: g.ipv4(v4(r), v4(r), 6, g.tcp(port(r), port(r)))[:14 + 20 + 12]),
    ("udpv4-ports-only", lambda r: g.ipv4(v4(r), v4(r), 17, g.udp(port(r), port(r)))[:14 + 20 + 4]),
    ("tcpv6-header-cut", lambda r: g.ipv6(v6(r), v6(r), 6, g.tcp(port(r), port(r)))[:14 + 40 + 12]),
    ("arp", lambda r: g.eth(0x0806, struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, g.MAC_SRC,
                                               g.addr(v4(r)), bytes(6), g.addr(v4(r))))),
]


def round_frames(seed, per_class, guest_mac, first_id):
    """[(id, class, frame)] for one round: per_class frames of every class, shuffled."""
    rng = random.Random(seed)
    made = []
    for name, build in CLASSES:
        for _ in range(per_class):
            made.append((name, build(rng)))
    rng.shuffle(made)
    frames = []
    for offset, (name, frame) in enumerate(made):
        identifier = first_id + offset
        frames.append((identifier, name, guest_mac + b"\x02\x76" + struct.pack(">I", identifier) + frame[12:]))
    return frames
