/// The field of a wire configuration that a ``ConfigurationError`` names, spelled as in C.
public enum ConfigurationField: Hashable, Sendable, CustomStringConvertible {
    /// The blob itself (its total length).
    case buffer
    /// `tun_vnet_hash.flags`.
    case flags
    /// `tun_vnet_hash.pad`.
    case pad
    /// `hash_types` / `tun_vnet_hash.types`.
    case hashTypes
    /// `indirection_table_mask`.
    case indirectionTableMask
    /// `indirection_table[index]`.
    case indirectionTable(index: Int)
    /// `unclassified_queue`.
    case unclassifiedQueue
    /// `max_tx_vq` of `virtio_net_rss_config`.
    case maxTransmitQueues
    /// `hash_key_length`.
    case hashKeyLength
    /// `hash_key_data`.
    case hashKeyData
    /// `virtio_net_hash_config.reserved[index]`.
    case reserved(index: Int)
    /// The number of queues the configuration steers to.
    case queueCount

    /// The C spelling of the field.
    public var description: String {
        switch self {
        case .buffer: "buffer"
        case .flags: "flags"
        case .pad: "pad"
        case .hashTypes: "hash_types"
        case .indirectionTableMask: "indirection_table_mask"
        case .indirectionTable(let index): "indirection_table[\(index)]"
        case .unclassifiedQueue: "unclassified_queue"
        case .maxTransmitQueues: "max_tx_vq"
        case .hashKeyLength: "hash_key_length"
        case .hashKeyData: "hash_key_data"
        case .reserved(let index): "reserved[\(index)]"
        case .queueCount: "queue_count"
        }
    }
}
