/// When the `_EX` hash types apply (docs/design.md, Hash types).
public enum ExtensionHeaderRule: String, CaseIterable, Hashable, Sendable {
    /// The virtio spec: the `_EX` types apply only to IPv6 packets that carry extension headers;
    /// a packet without them, or whose `_EX` types do not match, falls back to the plain IPv6 rules.
    case spec
    /// QEMU's software RSS (`virtio_net_get_hash_type`): an enabled `_EX` type is reported for any
    /// IPv6 packet, in QEMU's order (TCP: `TCP_EX`, `TCPv6`; UDP: `UDP_EX`, `UDPv6`; then
    /// `IP_EX`, `IPv6`). The hash is the same; only the reported type differs.
    case qemu
}
