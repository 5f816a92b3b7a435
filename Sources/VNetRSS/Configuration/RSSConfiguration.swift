/// One immutable RSS and hash-report configuration: what a guest's RSS command or a
/// `TUNSETVNETHASH` call sets (docs/design.md, Wire formats).
///
/// The same model is decoded from and encoded to four wire formats (see ``WireFormat``), checked
/// under a ``ValidationPolicy``, and prepared once for the datapath by ``Classifier``.
public struct RSSConfiguration: Hashable, Sendable {
    /// `tun_vnet_hash.flags`: whether to report hashes and whether to steer by RSS.
    public let features: RSSFeatures
    /// `hash_types`: the packet kinds hashed.
    public let hashTypes: HashTypes
    /// `indirection_table[indirection_table_mask + 1]`: receive queue per hash bucket.
    /// Empty when the configuration does not steer (hash report only).
    public let indirectionTable: [UInt16]
    /// `unclassified_queue`: where frames with no hash go.
    public let unclassifiedQueue: UInt16
    /// `hash_key_data`: the Toeplitz key, in wire order.
    public let key: [UInt8]
    /// `max_tx_vq`: carried only by `virtio_net_rss_config`; 1 when the source had none.
    public let maxTransmitQueues: UInt16

    /// The largest table the wire formats can carry: `indirection_table_mask` is 16 bits.
    public static let maxIndirectionTableLength = 1 << 16

    /// Creates a configuration. Throws when the table is longer than a 16-bit mask allows.
    public init(
        features: RSSFeatures = [.hashReport, .rss],
        hashTypes: HashTypes = .all,
        indirectionTable: [UInt16],
        unclassifiedQueue: UInt16 = 0,
        key: [UInt8] = ToeplitzKey.microsoft,
        maxTransmitQueues: UInt16 = 1
    ) throws(ConfigurationError) {
        guard indirectionTable.count <= RSSConfiguration.maxIndirectionTableLength else {
            throw ConfigurationError(
                .aboveMaximum, .indirectionTableMask,
                value: indirectionTable.count - 1, limit: RSSConfiguration.maxIndirectionTableLength - 1)
        }
        self.init(unchecked: features, hashTypes, indirectionTable, unclassifiedQueue, key, maxTransmitQueues)
    }

    /// A steering configuration with the table `i % queues` over `tableLength` entries: what
    /// a guest driver (and `ethtool -X equal`) sets up by default.
    public static func spreading(
        over queues: UInt16,
        tableLength: Int = 128,
        hashTypes: HashTypes = .all,
        key: [UInt8] = ToeplitzKey.microsoft,
        unclassifiedQueue: UInt16 = 0
    ) throws(ConfigurationError) -> RSSConfiguration {
        guard queues > 0 else { throw ConfigurationError(.belowMinimum, .queueCount, value: 0, limit: 1) }
        guard (1...maxIndirectionTableLength).contains(tableLength) else {
            throw ConfigurationError(
                .aboveMaximum, .indirectionTableMask, value: tableLength - 1, limit: maxIndirectionTableLength - 1)
        }
        return try RSSConfiguration(
            hashTypes: hashTypes,
            indirectionTable: (0..<tableLength).map { UInt16($0 % Int(queues)) },
            unclassifiedQueue: unclassifiedQueue, key: key, maxTransmitQueues: queues)
    }

    /// `indirection_table_mask`: the table length minus one (0 for an empty table).
    public var indirectionTableMask: UInt16 { UInt16(truncatingIfNeeded: max(indirectionTable.count - 1, 0)) }

    /// A copy with other features, for a VMM that learns them from negotiated feature bits
    /// (`VIRTIO_NET_F_RSS`, `VIRTIO_NET_F_HASH_REPORT`) rather than from the blob.
    public func with(features: RSSFeatures) -> RSSConfiguration {
        RSSConfiguration(unchecked: features, hashTypes, indirectionTable, unclassifiedQueue, key, maxTransmitQueues)
    }

    /// Memberwise, for decoders that have already bounded the table by its 16-bit mask.
    init(
        unchecked features: RSSFeatures, _ hashTypes: HashTypes, _ indirectionTable: [UInt16],
        _ unclassifiedQueue: UInt16, _ key: [UInt8], _ maxTransmitQueues: UInt16
    ) {
        self.features = features
        self.hashTypes = hashTypes
        self.indirectionTable = indirectionTable
        self.unclassifiedQueue = unclassifiedQueue
        self.key = key
        self.maxTransmitQueues = maxTransmitQueues
    }
}
