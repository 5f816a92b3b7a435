/// The set of packet kinds a configuration hashes: the `VIRTIO_NET_RSS_HASH_TYPE_*` bits.
///
/// The raw value is the `hash_types` field of `virtio_net_rss_config`, `virtio_net_hash_config`
/// and `struct tun_vnet_rss`, and the `types` field of `struct tun_vnet_hash`.
/// Bit *n* enables the report value *n + 1* (`HASH_TYPE_XXX = 1 << (HASH_REPORT_XXX - 1)`).
public struct HashTypes: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `VIRTIO_NET_RSS_HASH_TYPE_IPv4` (0x001): source and destination IPv4 address.
    public static let ipv4 = HashTypes(rawValue: 1 << 0)
    /// `VIRTIO_NET_RSS_HASH_TYPE_TCPv4` (0x002): IPv4 addresses and TCP ports.
    public static let tcpIPv4 = HashTypes(rawValue: 1 << 1)
    /// `VIRTIO_NET_RSS_HASH_TYPE_UDPv4` (0x004): IPv4 addresses and UDP ports.
    public static let udpIPv4 = HashTypes(rawValue: 1 << 2)
    /// `VIRTIO_NET_RSS_HASH_TYPE_IPv6` (0x008): source and destination IPv6 address.
    public static let ipv6 = HashTypes(rawValue: 1 << 3)
    /// `VIRTIO_NET_RSS_HASH_TYPE_TCPv6` (0x010): IPv6 addresses and TCP ports.
    public static let tcpIPv6 = HashTypes(rawValue: 1 << 4)
    /// `VIRTIO_NET_RSS_HASH_TYPE_UDPv6` (0x020): IPv6 addresses and UDP ports.
    public static let udpIPv6 = HashTypes(rawValue: 1 << 5)
    /// `VIRTIO_NET_RSS_HASH_TYPE_IP_EX` (0x040): IPv6 Home Address / type-2 routing address pair.
    public static let ipv6Ex = HashTypes(rawValue: 1 << 6)
    /// `VIRTIO_NET_RSS_HASH_TYPE_TCP_EX` (0x080): the `_EX` address pair and TCP ports.
    public static let tcpIPv6Ex = HashTypes(rawValue: 1 << 7)
    /// `VIRTIO_NET_RSS_HASH_TYPE_UDP_EX` (0x100): the `_EX` address pair and UDP ports.
    public static let udpIPv6Ex = HashTypes(rawValue: 1 << 8)

    /// All nine types (0x1FF): what vnet-rss supports, and QEMU's `VIRTIO_NET_RSS_SUPPORTED_HASHES`.
    public static let all = HashTypes(rawValue: 0x1FF)

    /// The six types the kernel series offers (0x3F): `VIRTIO_NET_SUPPORTED_HASH_TYPES`,
    /// the answer of `TUNGETVNETHASHCAP`. The `_EX` types are not among them.
    public static let kernelSupported = HashTypes(rawValue: 0x3F)

    /// Every type, in bit order, with the name the CLI and JSON use.
    public static let named: [(name: String, type: HashTypes)] = [
        ("ipv4", .ipv4), ("tcpv4", .tcpIPv4), ("udpv4", .udpIPv4),
        ("ipv6", .ipv6), ("tcpv6", .tcpIPv6), ("udpv6", .udpIPv6),
        ("ip_ex", .ipv6Ex), ("tcp_ex", .tcpIPv6Ex), ("udp_ex", .udpIPv6Ex),
    ]

    /// Parses `all`, `none`, or a comma-separated list of the names in ``named``.
    /// Returns `nil` when a name is unknown.
    public init?(names: String) {
        let trimmed = names.lowercased()
        if trimmed == "all" { self = .all; return }
        if trimmed == "none" || trimmed.isEmpty { self = []; return }
        var types: HashTypes = []
        for part in trimmed.split(separator: ",") {
            guard let entry = HashTypes.named.first(where: { $0.name == part }) else { return nil }
            types.insert(entry.type)
        }
        self = types
    }

    /// The Toeplitz key length, in bytes, that every enabled type needs: the longest enabled
    /// input plus 4 (IPv4 8+4, with ports 12+4; IPv6 32+4, with ports 36+4). 0 when none is enabled.
    public var requiredKeyLength: Int {
        if !intersection([.tcpIPv6, .udpIPv6, .tcpIPv6Ex, .udpIPv6Ex]).isEmpty { return 36 + 4 }
        if !intersection([.ipv6, .ipv6Ex]).isEmpty { return 32 + 4 }
        if !intersection([.tcpIPv4, .udpIPv4]).isEmpty { return 12 + 4 }
        if contains(.ipv4) { return 8 + 4 }
        return 0
    }

    /// The names of the enabled types joined by commas, `none` when empty; unknown bits as hex.
    public var description: String {
        var parts = HashTypes.named.filter { contains($0.type) }.map(\.name)
        let unknown = rawValue & ~HashTypes.all.rawValue
        if unknown != 0 { parts.append("0x" + String(unknown, radix: 16)) }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
