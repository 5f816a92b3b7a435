/// The kind of hash a frame received: the `hash_report` field of `virtio_net_hdr_v1_hash`,
/// the `VIRTIO_NET_HASH_REPORT_*` values.
public enum HashReport: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// `VIRTIO_NET_HASH_REPORT_NONE` (0): no hash was computed (non-IP, malformed, or no enabled type).
    case none = 0
    /// `VIRTIO_NET_HASH_REPORT_IPv4` (1).
    case ipv4 = 1
    /// `VIRTIO_NET_HASH_REPORT_TCPv4` (2).
    case tcpIPv4 = 2
    /// `VIRTIO_NET_HASH_REPORT_UDPv4` (3).
    case udpIPv4 = 3
    /// `VIRTIO_NET_HASH_REPORT_IPv6` (4).
    case ipv6 = 4
    /// `VIRTIO_NET_HASH_REPORT_TCPv6` (5).
    case tcpIPv6 = 5
    /// `VIRTIO_NET_HASH_REPORT_UDPv6` (6).
    case udpIPv6 = 6
    /// `VIRTIO_NET_HASH_REPORT_IPv6_EX` (7).
    case ipv6Ex = 7
    /// `VIRTIO_NET_HASH_REPORT_TCPv6_EX` (8).
    case tcpIPv6Ex = 8
    /// `VIRTIO_NET_HASH_REPORT_UDPv6_EX` (9).
    case udpIPv6Ex = 9

    /// The hash type that produces this report (`1 << (report - 1)`); empty for ``none``.
    public var hashType: HashTypes {
        self == .none ? [] : HashTypes(rawValue: 1 << (UInt32(rawValue) - 1))
    }

    /// True for the reports whose hash covers TCP or UDP ports: the frame's transport header was
    /// found.
    public var hasPorts: Bool {
        switch self {
        case .tcpIPv4, .udpIPv4, .tcpIPv6, .udpIPv6, .tcpIPv6Ex, .udpIPv6Ex: true
        case .none, .ipv4, .ipv6, .ipv6Ex: false
        }
    }

    /// The name the CLI prints: `none`, or the name of ``hashType`` in ``HashTypes/named``.
    public var description: String {
        self == .none ? "none" : HashTypes.named[Int(rawValue) - 1].name
    }
}
