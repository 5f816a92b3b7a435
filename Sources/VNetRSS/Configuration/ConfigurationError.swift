#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Why a configuration blob or model was refused: the rule broken, the field, its value and the limit.
///
/// The virtio control path answers every one with `VIRTIO_NET_ERR` (``virtioAck``); the kernel
/// path with the errno the `TUNSETVNETHASH` ioctl gives (``kernelErrno``).
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The rule a field broke.
    public enum Rule: String, Hashable, Sendable {
        /// The blob ends before the field does; `value` is the blob's length, `limit` the length needed.
        case truncated
        /// Bytes follow the last field; `value` is the blob's length, `limit` the exact length.
        case trailingBytes
        /// A reserved field or bit is not zero; `limit` is 0.
        case reservedNotZero
        /// `indirection_table_mask + 1` is not a power of two; `limit` is unused (0).
        case notPowerOfTwo
        /// The value is above the largest allowed; `limit` is that largest value.
        case aboveMaximum
        /// The value is below the smallest allowed; `limit` is that smallest value.
        case belowMinimum
        /// The value has bits outside the supported set; `limit` is the supported mask.
        case unsupportedBits
    }

    /// The rule broken.
    public let rule: Rule
    /// The field that broke it.
    public let field: ConfigurationField
    /// The value found.
    public let value: UInt64
    /// The limit it was held to (see ``Rule`` for its meaning under each rule).
    public let limit: UInt64

    /// Creates an error naming `field`, `value` and `limit`.
    public init(_ rule: Rule, _ field: ConfigurationField, value: some BinaryInteger, limit: some BinaryInteger) {
        self.rule = rule
        self.field = field
        self.value = UInt64(truncatingIfNeeded: value)
        self.limit = UInt64(truncatingIfNeeded: limit)
    }

    /// `VIRTIO_NET_ERR` (1): the ack a device gives a control command it refuses.
    public var virtioAck: UInt8 { VirtioNetAck.error }

    /// The errno the kernel's `TUNSETVNETHASH` gives: `EFAULT` when the blob is shorter than what
    /// the ioctl copies from user memory, `EINVAL` otherwise.
    public var kernelErrno: Int32 { rule == .truncated ? EFAULT : EINVAL }

    /// One line: `indirection_table[3] = 9: above maximum 3`.
    public var description: String {
        let found = "\(field) = \(value)"
        switch rule {
        case .truncated: return "\(found) bytes: truncated, \(limit) bytes needed"
        case .trailingBytes: return "\(found) bytes: \(value - limit) trailing bytes after the \(limit) expected"
        case .reservedNotZero: return "\(found): reserved, must be 0"
        case .notPowerOfTwo: return "\(found): mask + 1 = \(value + 1) is not a power of two"
        case .aboveMaximum: return "\(found): above maximum \(limit)"
        case .belowMinimum: return "\(found): below minimum \(limit)"
        case .unsupportedBits:
            return "\(field) = 0x\(String(value, radix: 16)): bits outside supported 0x\(String(limit, radix: 16))"
        }
    }
}

/// The ack codes of the virtio-net control queue.
public enum VirtioNetAck {
    /// `VIRTIO_NET_OK` (0).
    public static let ok: UInt8 = 0
    /// `VIRTIO_NET_ERR` (1).
    public static let error: UInt8 = 1
}
