/// What a configuration switches on: the `flags` field of `struct tun_vnet_hash`.
///
/// Unknown bits are kept, so a compound decoded from a guest or a manager re-encodes
/// byte for byte; the kernel series never validated them.
public struct RSSFeatures: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// `TUN_VNET_HASH_REPORT` (0x0001): write `hash_value` and `hash_report` into each frame's header.
    public static let hashReport = RSSFeatures(rawValue: 0x0001)
    /// `TUN_VNET_HASH_RSS` (0x0002): choose each frame's queue from the indirection table.
    public static let rss = RSSFeatures(rawValue: 0x0002)

    public var description: String {
        var parts: [String] = []
        if contains(.hashReport) { parts.append("report") }
        if contains(.rss) { parts.append("rss") }
        let unknown = rawValue & ~(RSSFeatures.hashReport.rawValue | RSSFeatures.rss.rawValue)
        if unknown != 0 { parts.append("0x" + String(unknown, radix: 16)) }
        return parts.isEmpty ? "none" : parts.joined(separator: ",")
    }
}
