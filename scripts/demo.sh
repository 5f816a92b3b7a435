#!/usr/bin/env bash
# make demo: a private network namespace with a 4-queue tap, real traffic from the namespace's
# own kernel stack (TCP and UDP over IPv4 and IPv6, ARP and ND), steered by the steering eBPF
# program to the tap queue of its receive queue and reported by that queue's reader, with the
# live per-queue table; then every reported hash, and the tap queue each frame was read from,
# checked against an independent recomputation from the frame bytes. Removes what it made, also
# on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-.build/release/vnet-rss}"
namespace="vnet-rss-demo-$$"
work="$(mktemp -d)"
engine=""
cleanup() {
    [ -n "$engine" ] && kill "$engine" 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
in_ns() { ip netns exec "$namespace" "$@"; }

ip netns add "$namespace"
in_ns ip link set lo up
echo "namespace $namespace: 4-queue tap vrss0, engine running for 6 s"
in_ns "$bin" tap --name vrss0 --queues 4 --duration 6 --steering ebpf \
    --dump "$work/frames.pcap" --decisions "$work/decisions.jsonl" &
engine=$!
for _ in $(seq 100); do in_ns ip link show vrss0 >/dev/null 2>&1 && break; sleep 0.05; done
in_ns ip addr add 10.88.0.1/24 dev vrss0
in_ns ip -6 addr add fd00:88::1/64 dev vrss0 nodad
in_ns ip neigh add 10.88.0.2 lladdr 02:00:00:00:88:02 dev vrss0 nud permanent
in_ns ip -6 neigh add fd00:88::2 lladdr 02:00:00:00:88:02 dev vrss0 nud permanent
in_ns python3 scripts/demo-traffic.py 64 >"$work/traffic.log"
wait "$engine"
engine=""
cat "$work/traffic.log"
echo
python3 scripts/demo-verify.py "$work/frames.pcap" "$work/decisions.jsonl" 4 --steered
