#!/usr/bin/env python3
"""Traffic for `make demo`, from the network namespace's own kernel stack out of the tap:
UDP datagrams and TCP connection attempts over IPv4 and IPv6 to a static neighbour, and ARP and
IPv6 neighbour solicitations for an address with no neighbour entry. Bounded: FLOWS of each."""
import socket
import sys
import time

FLOWS = int(sys.argv[1]) if len(sys.argv) > 1 else 64
PEER4, PEER6 = "10.88.0.2", "fd00:88::2"
UNKNOWN4, UNKNOWN6 = "10.88.0.9", "fd00:88::9"


def udp(family, address, port, payload=b"vnet-rss demo"):
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.sendto(payload, (address, port))


def tcp_syn(family, address, port):
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect((address, port))
    except BlockingIOError:
        pass
    return sock


def main():
    pending = []
    for flow in range(FLOWS):
        udp(socket.AF_INET, PEER4, 20000 + flow)
        udp(socket.AF_INET6, PEER6, 20000 + flow)
        pending.append(tcp_syn(socket.AF_INET, PEER4, 30000 + flow))
        pending.append(tcp_syn(socket.AF_INET6, PEER6, 30000 + flow))
        time.sleep(0.002)
    # No neighbour entry: the kernel asks with ARP and neighbour solicitations first.
    for flow in range(4):
        try:
            udp(socket.AF_INET, UNKNOWN4, 40000 + flow)
            udp(socket.AF_INET6, UNKNOWN6, 40000 + flow)
        except OSError:
            pass
    time.sleep(1.5)
    for sock in pending:
        sock.close()
    print(f"traffic: {FLOWS} UDP and {FLOWS} TCP flows per IP version, ARP and ND probes")


if __name__ == "__main__":
    main()
