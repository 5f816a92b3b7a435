/// The guest's `VIRTIO_NET_CTRL_MQ_HASH_CONFIG` payload (VIRTIO 1.2, 5.1.6.5.6.4 Hash calculation),
/// little-endian:
///
/// ```
/// struct virtio_net_hash_config {
///     le32 hash_types;                      // @0
///     le16 reserved[4];                     // @4, must be 0
///     u8   hash_key_length;                 // @12
///     u8   hash_key_data[hash_key_length];  // @13
/// };
/// ```
///
/// It reports hashes without steering: decoding gives ``RSSFeatures/hashReport`` and no table.
public enum VirtioHashConfigLayout {
    /// `offsetof(struct virtio_net_hash_config, hash_types)`.
    public static let hashTypesOffset = 0
    /// `offsetof(struct virtio_net_hash_config, reserved)`.
    public static let reservedOffset = 4
    /// The number of `le16` reserved words.
    public static let reservedCount = 4
    /// `offsetof(struct virtio_net_hash_config, hash_key_length)`.
    public static let keyLengthOffset = 12
    /// `offsetof(struct virtio_net_hash_config, hash_key_data)`.
    public static let keyDataOffset = 13

    static func decode(_ reader: inout ByteReader, strict: Bool) throws(ConfigurationError) -> RSSConfiguration {
        let types = HashTypes(rawValue: try reader.u32(.hashTypes, .littleEndian))
        for index in 0..<reservedCount {
            let reserved = try reader.u16(.reserved(index: index), .littleEndian)
            if strict && reserved != 0 {
                throw ConfigurationError(.reservedNotZero, .reserved(index: index), value: reserved, limit: 0)
            }
        }
        let keyLength = try reader.u8(.hashKeyLength)
        let key = try reader.bytes(count: Int(keyLength), field: .hashKeyData)
        return RSSConfiguration(unchecked: .hashReport, types, [], 0, key, 1)
    }

    static func encode(_ configuration: RSSConfiguration) throws(ConfigurationError) -> [UInt8] {
        var writer = ByteWriter(capacity: keyDataOffset + configuration.key.count)
        writer.u32(configuration.hashTypes.rawValue, .littleEndian)
        writer.zeros(2 * reservedCount)
        try configuration.encodeLengthPrefixedKey(&writer)
        return writer.bytes
    }
}
