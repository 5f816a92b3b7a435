/// The guest's `VIRTIO_NET_CTRL_MQ_RSS_CONFIG` payload (VIRTIO 1.2, 5.1.6.5.7 Receive-side scaling
/// (RSS)), little-endian:
///
/// ```
/// struct virtio_net_rss_config {
///     le32 hash_types;                          // @0
///     le16 indirection_table_mask;              // @4
///     le16 unclassified_queue;                  // @6
///     le16 indirection_table[mask + 1];         // @8
///     le16 max_tx_vq;                           // @8 + 2N
///     u8   hash_key_length;                     // @10 + 2N
///     u8   hash_key_data[hash_key_length];      // @11 + 2N
/// };
/// ```
///
/// Queue ids are the same number in virtio 1.2 (0-based receive queue) and 1.3 (`rss_rq_id`);
/// the reserved top bit is caught by the queue-range rule of the `virtio` policy.
public enum VirtioRSSConfigLayout {
    /// `offsetof(struct virtio_net_rss_config, hash_types)`.
    public static let hashTypesOffset = 0
    /// `offsetof(struct virtio_net_rss_config, indirection_table_mask)`.
    public static let maskOffset = 4
    /// `offsetof(struct virtio_net_rss_config, unclassified_queue)`.
    public static let unclassifiedQueueOffset = 6
    /// `offsetof(struct virtio_net_rss_config, indirection_table)`.
    public static let tableOffset = 8

    /// Offset of `max_tx_vq` for a table of `tableLength` entries.
    public static func maxTransmitQueuesOffset(tableLength: Int) -> Int { tableOffset + 2 * tableLength }
    /// Offset of `hash_key_length` for a table of `tableLength` entries.
    public static func keyLengthOffset(tableLength: Int) -> Int {
        maxTransmitQueuesOffset(tableLength: tableLength) + 2
    }
    /// Total length of the payload for a table of `tableLength` entries and a key of `keyLength` bytes.
    public static func size(tableLength: Int, keyLength: Int) -> Int {
        keyLengthOffset(tableLength: tableLength) + 1 + keyLength
    }

    static func decode(_ reader: inout ByteReader) throws(ConfigurationError) -> RSSConfiguration {
        let types = HashTypes(rawValue: try reader.u32(.hashTypes, .littleEndian))
        let (table, unclassified) = try RSSConfiguration.decodeTable(&reader, .littleEndian)
        let maxTransmitQueues = try reader.u16(.maxTransmitQueues, .littleEndian)
        let keyLength = try reader.u8(.hashKeyLength)
        let key = try reader.bytes(count: Int(keyLength), field: .hashKeyData)
        return RSSConfiguration(unchecked: .rss, types, table, unclassified, key, maxTransmitQueues)
    }

    static func encode(_ configuration: RSSConfiguration) throws(ConfigurationError) -> [UInt8] {
        var writer = ByteWriter(
            capacity: size(tableLength: configuration.indirectionTable.count, keyLength: configuration.key.count))
        writer.u32(configuration.hashTypes.rawValue, .littleEndian)
        try configuration.encodeTable(&writer, .littleEndian)
        writer.u16(configuration.maxTransmitQueues, .littleEndian)
        try configuration.encodeLengthPrefixedKey(&writer)
        return writer.bytes
    }
}
