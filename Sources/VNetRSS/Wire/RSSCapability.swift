/// What a hash-capable tap offers: the `struct tun_vnet_hash` that `TUNGETVNETHASHCAP` fills in.
public struct RSSCapability: Hashable, Sendable {
    /// `flags`: the features offered.
    public let features: RSSFeatures
    /// `types`: the hash types offered.
    public let hashTypes: HashTypes

    /// A capability value.
    public init(features: RSSFeatures, hashTypes: HashTypes) {
        self.features = features
        self.hashTypes = hashTypes
    }

    /// The kernel series' answer (v5 to v11): `{REPORT | RSS, VIRTIO_NET_SUPPORTED_HASH_TYPES}` = `{0x3, 0x3F}`.
    public static let kernelSeries = RSSCapability(features: [.hashReport, .rss], hashTypes: .kernelSupported)

    /// What the userspace engine offers: both features, all nine types.
    public static let userspace = RSSCapability(features: [.hashReport, .rss], hashTypes: .all)

    /// Decodes the 8-byte `struct tun_vnet_hash` (host-endian); trailing bytes are refused.
    public init(decoding bytes: [UInt8]) throws(ConfigurationError) {
        var reader = ByteReader(bytes)
        features = RSSFeatures(rawValue: try reader.u16(.flags, .host))
        _ = try reader.u16(.pad, .host)
        hashTypes = HashTypes(rawValue: try reader.u32(.hashTypes, .host))
        try reader.requireEnd(strict: true)
    }

    /// The 8-byte `struct tun_vnet_hash`, host-endian, `pad` zero.
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: TunVnetHashLayout.hashSize)
        writer.u16(features.rawValue, .host)
        writer.zeros(2)
        writer.u32(hashTypes.rawValue, .host)
        return writer.bytes
    }
}
