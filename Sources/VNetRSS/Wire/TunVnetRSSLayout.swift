/// The v12 split layout, the argument of `TUNSETVNETREPORTINGRSS` and `TUNSETVNETRSS` ("tun:
/// Introduce virtio-net RSS" v12 4/10, `20250530-rss-v12-4-95d8b348de91@daynix.com`), host-endian:
///
/// ```
/// struct tun_vnet_rss { __u32 hash_types; __u16 indirection_table_mask; __u16 unclassified_queue; }; // @0, 8 bytes
/// __u16 indirection_table[indirection_table_mask + 1];                                          // @8
/// __u8  key[];                                                                                  // after the table
/// ```
///
/// Whether hashes are reported is the choice of ioctl, not a field: decoding gives
/// ``RSSFeatures/rss`` alone.
public enum TunVnetRSSLayout {
    /// `sizeof(struct tun_vnet_rss)`.
    public static let size = 8
    /// `offsetof(struct tun_vnet_rss, hash_types)`.
    public static let hashTypesOffset = 0
    /// `offsetof(struct tun_vnet_rss, indirection_table_mask)`.
    public static let maskOffset = 4
    /// `offsetof(struct tun_vnet_rss, unclassified_queue)`.
    public static let unclassifiedQueueOffset = 6
    /// Offset of the indirection table.
    public static let tableOffset = size

    static func decode(_ reader: inout ByteReader) throws(ConfigurationError) -> RSSConfiguration {
        let types = HashTypes(rawValue: try reader.u32(.hashTypes, .host))
        let (table, unclassified) = try RSSConfiguration.decodeTable(&reader, .host)
        return RSSConfiguration(unchecked: .rss, types, table, unclassified, reader.rest(), 1)
    }

    static func encode(_ configuration: RSSConfiguration) throws(ConfigurationError) -> [UInt8] {
        var writer = ByteWriter(
            capacity: tableOffset + 2 * configuration.indirectionTable.count + configuration.key.count)
        writer.u32(configuration.hashTypes.rawValue, .host)
        try configuration.encodeTable(&writer, .host)
        writer.append(configuration.key)
        return writer.bytes
    }
}
