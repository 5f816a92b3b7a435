/// What a virtio-net device advertises to its guest: the bounds the `virtio` policy enforces.
///
/// Mirrors the RSS fields of `struct virtio_net_config` plus the number of queue pairs.
public struct DeviceLimits: Hashable, Sendable {
    /// The number of receive queues the guest may steer to (`max_virtqueue_pairs`, or the
    /// pairs currently enabled). Table entries and `unclassified_queue` must lie below it.
    public var queuePairs: UInt16
    /// `rss_max_indirection_table_length`: at least 128 by the spec; QEMU advertises 128.
    public var maxIndirectionTableLength: Int
    /// `rss_max_key_size`: at least 40 by the spec; QEMU advertises 40.
    public var maxKeySize: Int
    /// `supported_hash_types`.
    public var supportedHashTypes: HashTypes

    /// Limits as QEMU advertises them, for `queuePairs` queue pairs.
    public init(
        queuePairs: UInt16,
        maxIndirectionTableLength: Int = 128,
        maxKeySize: Int = 40,
        supportedHashTypes: HashTypes = .all
    ) {
        self.queuePairs = queuePairs
        self.maxIndirectionTableLength = maxIndirectionTableLength
        self.maxKeySize = maxKeySize
        self.supportedHashTypes = supportedHashTypes
    }
}

/// Which rules a configuration is held to (docs/design.md, Validation policies).
public enum ValidationPolicy: Hashable, Sendable {
    /// The leniency of the kernel series: any mask, any flag and type bits, table entries and
    /// `unclassified_queue` reduced modulo the queue count when frames arrive. Only a key too
    /// short for an enabled type is refused.
    case kernel
    /// The device rules a VMM enforces on an untrusted guest, as QEMU does: a power-of-two table
    /// no longer than advertised, a key no longer than advertised and present when a type is
    /// enabled, every queue below the queue pairs, no unsupported type, reserved bytes zero,
    /// exact buffer lengths.
    case virtio(DeviceLimits)

    /// True for ``virtio(_:)``: reserved fields must be zero and blobs must have their exact length.
    public var isStrict: Bool {
        if case .virtio = self { return true }
        return false
    }
}
