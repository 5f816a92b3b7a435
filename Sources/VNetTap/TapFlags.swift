/// The `ifr_flags` of `TUNSETIFF` and `TUNGETIFF` that vnet-rss sets and checks (`<linux/if_tun.h>`).
public struct TapFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `IFF_TAP` (0x0002): Ethernet frames.
    public static let tap = TapFlags(rawValue: 0x0002)
    /// `IFF_NO_PI` (0x1000): no packet-information prefix.
    public static let noPacketInformation = TapFlags(rawValue: 0x1000)
    /// `IFF_VNET_HDR` (0x4000): a virtio-net header in front of each frame.
    public static let vnetHeader = TapFlags(rawValue: 0x4000)
    /// `IFF_MULTI_QUEUE` (0x0100): one fd per queue.
    public static let multiQueue = TapFlags(rawValue: 0x0100)

    /// What vnet-rss requires of a tap: `IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE | IFF_VNET_HDR`.
    public static let required: TapFlags = [.tap, .noPacketInformation, .vnetHeader, .multiQueue]
}

/// The offloads of `TUNSETOFFLOAD` (`TUN_F_*`): what the reader accepts from the tap.
public struct TapOffloads: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `TUN_F_CSUM` (0x01): frames with partial checksums (`VIRTIO_NET_HDR_F_NEEDS_CSUM`).
    public static let checksum = TapOffloads(rawValue: 0x01)
    /// `TUN_F_TSO4` (0x02): TCP segmentation offload, IPv4.
    public static let tso4 = TapOffloads(rawValue: 0x02)
    /// `TUN_F_TSO6` (0x04): TCP segmentation offload, IPv6.
    public static let tso6 = TapOffloads(rawValue: 0x04)
    /// `TUN_F_TSO_ECN` (0x08): TSO with ECN.
    public static let tsoECN = TapOffloads(rawValue: 0x08)
    /// `TUN_F_USO4` (0x20): UDP segmentation offload, IPv4 (Linux 6.2 and later).
    public static let uso4 = TapOffloads(rawValue: 0x20)
    /// `TUN_F_USO6` (0x40): UDP segmentation offload, IPv6 (Linux 6.2 and later).
    public static let uso6 = TapOffloads(rawValue: 0x40)
}
