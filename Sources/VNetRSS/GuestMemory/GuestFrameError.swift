/// Why a ``GuestFrame`` was refused before any of its bytes was read: a description a VMM got
/// wrong, never the guest's bytes (those always get a decision, unclassified at worst).
public struct GuestFrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Field: String, Sendable {
        /// The vnet header size is not one this library writes (12 or 20 bytes).
        case headerSize = "header_size"
        /// More elements than `readv` takes (`IOV_MAX`), or none for a non-empty frame.
        case elementCount = "iovcnt"
        /// An element's length is negative (an `iov_len` above `SSIZE_MAX`).
        case elementLength = "iov_len"
        /// An element with bytes of the frame has no base.
        case elementBase = "iov_base"
        /// The byte count is negative, or more than the elements hold.
        case length = "length"
        /// The arrival queue is not one of the steered tap queues.
        case arrivalQueue = "arrival_queue"
    }

    /// The header sizes classified: `sizeof(struct virtio_net_hdr_v1)` (no hash fields: nothing
    /// is written) and `sizeof(struct virtio_net_hdr_v1_hash)`. Larger headers of later
    /// features have fields this library does not know and are refused. A comparison, not a
    /// lazy global: the per-frame path must not reach `swift_once` (a system call on its first
    /// run, which a queue thread's seccomp filter refuses).
    @inline(__always)
    public static func supports(headerSize: Int) -> Bool {
        headerSize == VirtioNetHashHeader.baseSize || headerSize == VirtioNetHashHeader.size
    }

    /// The field.
    public let field: Field
    /// Its value.
    public let value: Int
    /// The limit it broke: the largest supported header size, `IOV_MAX`, 0 (the smallest
    /// length), 1 (a base is needed), for ``Field/length`` the bytes the elements hold, for
    /// ``Field/arrivalQueue`` the number of tap queues.
    public let limit: Int
    /// The element, for the per-element fields.
    public let element: Int?

    package init(_ field: Field, value: Int, limit: Int, element: Int? = nil) {
        self.field = field
        self.value = value
        self.limit = limit
        self.element = element
    }

    /// The errno a C caller gets: `EINVAL`, or `ERANGE` for a byte count past the elements or an
    /// arrival queue past the tap's.
    public var errno: Int32 { (field == .length && value > 0) || field == .arrivalQueue ? 34 : 22 }

    public var description: String {
        let at = element.map { "iov[\($0)]." } ?? ""
        switch field {
        case .headerSize:
            return "\(at)\(field.rawValue) \(value): only 12 (virtio_net_hdr_v1) and 20 (virtio_net_hdr_v1_hash)"
        case .elementCount:
            let most = unsafe IOVector.maximumCount
            return "\(field.rawValue) \(value): from 1 to \(most) for a non-empty frame"
        case .elementLength: return "\(at)\(field.rawValue) \(value): below \(limit)"
        case .elementBase: return "\(at)\(field.rawValue) is NULL with bytes of the frame in it"
        case .arrivalQueue: return "\(field.rawValue) \(value): at most \(limit - 1) (\(limit) tap queues)"
        case .length:
            return value < 0
                ? "\(field.rawValue) \(value): below 0" : "\(field.rawValue) \(value): the elements hold \(limit)"
        }
    }
}
