/// The four wire formats of one ``RSSConfiguration`` (docs/design.md, Wire formats).
public enum WireFormat: String, CaseIterable, Hashable, Sendable {
    /// The `TUNSETVNETHASH` compound of the kernel series v5 to v11: `struct tun_vnet_hash`,
    /// then with `TUN_VNET_HASH_RSS` `struct tun_vnet_hash_rss`, `__u16 table[mask + 1]` and
    /// the key. Host-endian. See ``TunVnetHashLayout``.
    case tunVnetHash = "compound"
    /// The v12 split layout: `struct tun_vnet_rss`, `__u16 table[mask + 1]`, the key; the
    /// argument of `TUNSETVNETREPORTINGRSS` and `TUNSETVNETRSS`. Host-endian. See ``TunVnetRSSLayout``.
    case tunVnetRSS = "v12"
    /// The guest's `VIRTIO_NET_CTRL_MQ_RSS_CONFIG` payload, `struct virtio_net_rss_config`.
    /// Little-endian. See ``VirtioRSSConfigLayout``.
    case virtioRSSConfig = "virtio-rss"
    /// The guest's `VIRTIO_NET_CTRL_MQ_HASH_CONFIG` payload, `struct virtio_net_hash_config`.
    /// Little-endian. See ``VirtioHashConfigLayout``.
    case virtioHashConfig = "virtio-hash"
}

extension RSSConfiguration {
    /// Decodes a blob in `format`. Under a strict policy (``ValidationPolicy/virtio(_:)``) reserved
    /// fields must be zero and the blob must end with its last field; the kernel policy ignores
    /// both, as the kernel does. Semantic rules are left to ``validate(_:)``.
    ///
    /// Features a format does not carry come from it: `virtio_net_rss_config` and the v12 layout
    /// give ``RSSFeatures/rss``, `virtio_net_hash_config` gives ``RSSFeatures/hashReport``; a VMM
    /// sets the rest from negotiated features with ``with(features:)``.
    public init(decoding bytes: [UInt8], as format: WireFormat, policy: ValidationPolicy) throws(ConfigurationError) {
        var reader = ByteReader(bytes)
        let strict = policy.isStrict
        switch format {
        case .tunVnetHash: self = try TunVnetHashLayout.decode(&reader, strict: strict)
        case .tunVnetRSS: self = try TunVnetRSSLayout.decode(&reader)
        case .virtioRSSConfig: self = try VirtioRSSConfigLayout.decode(&reader)
        case .virtioHashConfig: self = try VirtioHashConfigLayout.decode(&reader, strict: strict)
        }
        try reader.requireEnd(strict: strict)
    }

    /// Decodes and then validates: what a device does with a guest's command.
    public init(
        decodingAndValidating bytes: [UInt8], as format: WireFormat, policy: ValidationPolicy
    ) throws(ConfigurationError) {
        self = try RSSConfiguration(decoding: bytes, as: format, policy: policy)
        try validate(policy)
    }

    /// Encodes the fields `format` carries. Reserved fields are written as zero and the key in
    /// full. Throws when a value does not fit the format (an empty table where the format needs
    /// one, a key longer than the 8-bit `hash_key_length`).
    public func encoded(as format: WireFormat) throws(ConfigurationError) -> [UInt8] {
        switch format {
        case .tunVnetHash: try TunVnetHashLayout.encode(self)
        case .tunVnetRSS: try TunVnetRSSLayout.encode(self)
        case .virtioRSSConfig: try VirtioRSSConfigLayout.encode(self)
        case .virtioHashConfig: try VirtioHashConfigLayout.encode(self)
        }
    }

    /// Reads `indirection_table_mask` and the `mask + 1` entries that follow it.
    static func decodeTable(
        _ reader: inout ByteReader, _ order: ByteOrder
    ) throws(ConfigurationError) -> (table: [UInt16], unclassified: UInt16) {
        let mask = try reader.u16(.indirectionTableMask, order)
        let unclassified = try reader.u16(.unclassifiedQueue, order)
        let table = try reader.u16Array(count: Int(mask) + 1, field: .indirectionTable(index: 0), order)
        return (table, unclassified)
    }

    /// Writes `indirection_table_mask`, `unclassified_queue` and the table; throws on an empty table.
    func encodeTable(_ writer: inout ByteWriter, _ order: ByteOrder) throws(ConfigurationError) {
        guard !indirectionTable.isEmpty else {
            throw ConfigurationError(.belowMinimum, .indirectionTableMask, value: 0, limit: 1)
        }
        writer.u16(indirectionTableMask, order)
        writer.u16(unclassifiedQueue, order)
        for entry in indirectionTable { writer.u16(entry, order) }
    }

    /// Writes `hash_key_length` and `hash_key_data`; throws when the key exceeds 255 bytes.
    func encodeLengthPrefixedKey(_ writer: inout ByteWriter) throws(ConfigurationError) {
        guard key.count <= Int(UInt8.max) else {
            throw ConfigurationError(.aboveMaximum, .hashKeyLength, value: key.count, limit: UInt8.max)
        }
        writer.u8(UInt8(key.count))
        writer.append(key)
    }
}
