/// The 8 bytes at 12-19 of a `struct virtio_net_hdr_v1_hash` that a classification fills:
/// `le32 hash_value`, `le16 hash_report`, `le16 padding_reserved` (zero).
public struct HashFields: Hashable, Sendable {
    /// `hash_value`; 0 when hash reporting is off or the frame is unclassified.
    public let hash: UInt32
    /// `hash_report` (`VIRTIO_NET_HASH_REPORT_*`); 0 likewise.
    public let report: UInt16

    /// `offsetof(struct virtio_net_hdr_v1_hash, hash_value)`: where the bytes go, from the
    /// start of the header (the first byte of the chain).
    public static let offset = VirtioNetHashHeader.hashValueOffset
    /// Bytes written: `hash_value`, `hash_report` and the padding.
    public static let size = 8

    /// Fields of `hash` and `report`.
    public init(hash: UInt32, report: UInt16) {
        self.hash = hash
        self.report = report
    }

    /// The bytes as they go into guest memory (little-endian).
    public var littleEndianBytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) {
        (
            UInt8(truncatingIfNeeded: hash), UInt8(truncatingIfNeeded: hash >> 8),
            UInt8(truncatingIfNeeded: hash >> 16), UInt8(truncatingIfNeeded: hash >> 24),
            UInt8(truncatingIfNeeded: report), UInt8(truncatingIfNeeded: report >> 8), 0, 0
        )
    }
}
