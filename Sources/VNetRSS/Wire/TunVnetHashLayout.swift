/// The `TUNSETVNETHASH` compound of the kernel series v5 to v11 ("tun: Introduce virtio-net RSS" v5
/// 7/10, `20241008-rss-v5-7-f3cf68df005d@daynix.com`; docs/design.md, Wire formats), host-endian:
///
/// ```
/// struct tun_vnet_hash     { __u16 flags; __u8 pad[2]; __u32 types; };          // @0, 8 bytes
/// struct tun_vnet_hash_rss { __u16 indirection_table_mask; __u16 unclassified_queue; }; // @8, 4 bytes
/// __u16 indirection_table[indirection_table_mask + 1];                          // @12
/// __u8  key[];                                                                  // @12 + 2 * (mask + 1)
/// ```
///
/// Only `struct tun_vnet_hash` is present without `TUN_VNET_HASH_RSS`. The key is every byte
/// after the table.
public enum TunVnetHashLayout {
    /// `sizeof(struct tun_vnet_hash)`.
    public static let hashSize = 8
    /// `offsetof(struct tun_vnet_hash, flags)`.
    public static let flagsOffset = 0
    /// `offsetof(struct tun_vnet_hash, pad)`.
    public static let padOffset = 2
    /// `offsetof(struct tun_vnet_hash, types)`.
    public static let typesOffset = 4
    /// `sizeof(struct tun_vnet_hash_rss)`.
    public static let rssSize = 4
    /// `offsetof(struct tun_vnet_hash_rss, indirection_table_mask)`.
    public static let maskOffset = 0
    /// `offsetof(struct tun_vnet_hash_rss, unclassified_queue)`.
    public static let unclassifiedQueueOffset = 2
    /// Offset of the indirection table in the compound.
    public static let tableOffset = hashSize + rssSize

    static func decode(_ reader: inout ByteReader, strict: Bool) throws(ConfigurationError) -> RSSConfiguration {
        let features = RSSFeatures(rawValue: try reader.u16(.flags, .host))
        let pad = try reader.u16(.pad, .host)
        if strict && pad != 0 {
            throw ConfigurationError(.reservedNotZero, .pad, value: pad, limit: 0)
        }
        let types = HashTypes(rawValue: try reader.u32(.hashTypes, .host))
        guard features.contains(.rss) else {
            return RSSConfiguration(unchecked: features, types, [], 0, [], 1)
        }
        let (table, unclassified) = try RSSConfiguration.decodeTable(&reader, .host)
        return RSSConfiguration(unchecked: features, types, table, unclassified, reader.rest(), 1)
    }

    static func encode(_ configuration: RSSConfiguration) throws(ConfigurationError) -> [UInt8] {
        var writer = ByteWriter(
            capacity: tableOffset + 2 * configuration.indirectionTable.count + configuration.key.count)
        writer.u16(configuration.features.rawValue, .host)
        writer.zeros(2)
        writer.u32(configuration.hashTypes.rawValue, .host)
        if configuration.features.contains(.rss) {
            try configuration.encodeTable(&writer, .host)
            writer.append(configuration.key)
        }
        return writer.bytes
    }
}
