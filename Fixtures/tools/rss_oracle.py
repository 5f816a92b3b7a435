"""An independent model of vnet-rss's decisions, for generating expected values.

Written from ../shared/SPEC.md (Part A decisions, B §2.3 hash rules, B §4.1 Toeplitz) in plain
Python, sharing no code with the Swift engine: Toeplitz is bit-serial, the parser works on
slices. The fixtures' expected hashes, reports and queues come from here.
"""

MICROSOFT_KEY = bytes.fromhex(
    "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa")

TYPE_NAMES = ["ipv4", "tcpv4", "udpv4", "ipv6", "tcpv6", "udpv6", "ip_ex", "tcp_ex", "udp_ex"]
ALL_TYPES = 0x1FF
# report value r enables with bit r-1
IPV4, TCPV4, UDPV4, IPV6, TCPV6, UDPV6, IP_EX, TCP_EX, UDP_EX = range(1, 10)


def enabled(types, report):
    return bool(types & (1 << (report - 1)))


def toeplitz(key, data):
    """SPEC B §4.1: for each set input bit, XOR the leftmost 32 bits of the key, then shift it."""
    assert len(key) >= len(data) + 4
    key_bits = int.from_bytes(key, "big")
    total_bits = len(key) * 8
    result = 0
    for bit_index in range(len(data) * 8):
        if data[bit_index // 8] & (0x80 >> (bit_index % 8)):
            window = (key_bits >> (total_bits - 32 - bit_index)) & 0xFFFFFFFF
            result ^= window
    return result


class Flow:
    def __init__(self):
        self.net = None          # "ipv4" | "ipv6" | None
        self.src = self.dst = b""
        self.home = self.routed = None
        self.l4 = None           # "tcp" | "udp" | None
        self.ports = b""
        self.fragment = False
        self.has_ext = False


def parse(frame):
    """SPEC A4/A5: Ethernet, up to two VLAN tags, IPv4 (IHL 5..15), IPv6 with a walk of at most
    8 extension headers. Returns a Flow; net None means unclassified."""
    flow = Flow()
    if len(frame) < 14:
        return flow
    pos = 12
    ethertype = int.from_bytes(frame[pos:pos + 2], "big")
    tags = 0
    while ethertype in (0x8100, 0x88A8):
        if tags == 2 or len(frame) < pos + 6:
            return flow
        pos += 4
        tags += 1
        ethertype = int.from_bytes(frame[pos:pos + 2], "big")
    l3 = pos + 2
    if ethertype == 0x0800:
        return parse_ipv4(frame, l3, flow)
    if ethertype == 0x86DD:
        return parse_ipv6(frame, l3, flow)
    return flow


def take_ports(frame, l4, proto, flow):
    if proto in (6, 17) and len(frame) >= l4 + 4:
        flow.l4 = "tcp" if proto == 6 else "udp"
        flow.ports = frame[l4:l4 + 4]


def parse_ipv4(frame, l3, flow):
    if len(frame) < l3 + 20:
        return flow
    version, ihl = frame[l3] >> 4, frame[l3] & 0xF
    if version != 4 or ihl < 5 or len(frame) < l3 + ihl * 4:
        return flow
    flow.net = "ipv4"
    flow.src, flow.dst = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
    frag = int.from_bytes(frame[l3 + 6:l3 + 8], "big")
    flow.fragment = (frag & 0x2000) != 0 or (frag & 0x1FFF) != 0
    if not flow.fragment:
        take_ports(frame, l3 + ihl * 4, frame[l3 + 9], flow)
    return flow


EXT_8_UNITS = {0, 43, 60, 135}


def parse_ipv6(frame, l3, flow):
    if len(frame) < l3 + 40 or frame[l3] >> 4 != 6:
        return flow
    flow.net = "ipv6"
    flow.src, flow.dst = frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]
    nh, pos, walked = frame[l3 + 6], l3 + 40, 0
    while True:
        if nh in (6, 17):
            take_ports(frame, pos, nh, flow)
            return flow
        if walked == 8 or nh not in EXT_8_UNITS | {44, 51}:
            return flow
        if nh == 44:
            length = 8
        else:
            if len(frame) < pos + 2:
                return Flow()
            length = (frame[pos + 1] + 1) * 8 if nh in EXT_8_UNITS else (frame[pos + 1] + 2) * 4
        if len(frame) < pos + length:
            return Flow()
        flow.has_ext = True
        walked += 1
        header = frame[pos:pos + length]
        if nh == 44:
            flow.fragment = True
            return flow
        if nh == 60 and flow.home is None:
            flow.home = home_address(header)
        if nh == 43 and flow.routed is None:
            if header[1] == 2 and header[2] == 2 and header[3] == 1:
                flow.routed = header[8:24]
        nh = header[0]
        pos += length


def home_address(header):
    i = 2
    while i < len(header):
        if header[i] == 0:
            i += 1
            continue
        if i + 2 > len(header):
            return None
        kind, size = header[i], header[i + 1]
        if kind == 0xC9 and size == 16 and i + 18 <= len(header):
            return header[i + 2:i + 18]
        i += 2 + size
    return None


def select(flow, types, ex_rule="spec"):
    """SPEC B §2.3 (ex_rule "spec") or QEMU's virtio_net_get_hash_type order ("qemu").
    Returns (report, input bytes)."""
    if flow.net == "ipv4":
        if flow.l4 == "tcp" and enabled(types, TCPV4):
            return TCPV4, flow.src + flow.dst + flow.ports
        if flow.l4 == "udp" and enabled(types, UDPV4):
            return UDPV4, flow.src + flow.dst + flow.ports
        if enabled(types, IPV4):
            return IPV4, flow.src + flow.dst
        return 0, b""
    if flow.net != "ipv6":
        return 0, b""
    ex_src = flow.home if flow.home is not None else flow.src
    ex_dst = flow.routed if flow.routed is not None else flow.dst
    plain = flow.src + flow.dst
    if ex_rule == "qemu":
        order = []
        if flow.l4 == "tcp":
            order += [(TCP_EX, ex_src + ex_dst + flow.ports), (TCPV6, plain + flow.ports)]
        if flow.l4 == "udp":
            order += [(UDP_EX, ex_src + ex_dst + flow.ports), (UDPV6, plain + flow.ports)]
        order += [(IP_EX, ex_src + ex_dst), (IPV6, plain)]
    else:
        order = []
        if flow.has_ext:
            if flow.l4 == "tcp":
                order.append((TCP_EX, ex_src + ex_dst + flow.ports))
            if flow.l4 == "udp":
                order.append((UDP_EX, ex_src + ex_dst + flow.ports))
            order.append((IP_EX, ex_src + ex_dst))
        if flow.l4 == "tcp":
            order.append((TCPV6, plain + flow.ports))
        if flow.l4 == "udp":
            order.append((UDPV6, plain + flow.ports))
        order.append((IPV6, plain))
    for report, data in order:
        if enabled(types, report):
            return report, data
    return 0, b""


def decide(frame, key=MICROSOFT_KEY, types=ALL_TYPES, table=None, queues=4, unclassified=0, ex_rule="spec"):
    """SPEC A6/A7: (hash_value, hash_report, queue) with the kernel policy's modulo."""
    if table is None:
        table = [i % queues for i in range(128)]
    report, data = select(parse(frame), types, ex_rule)
    if report == 0:
        return 0, 0, (unclassified % queues) if queues else 0
    value = toeplitz(key, data)
    mask = len(table) - 1
    queue = (table[value & mask] % queues) if queues else 0
    return value, report, queue
