/// The decision for one frame: its hash, the kind of hash, and the queue it goes to. The C ABI's
/// `struct vnet_rss_decision`; the header fields it fills are `hash_value` and `hash_report` of
/// `struct virtio_net_hdr_v1_hash`.
///
/// A ``Classifier`` classifies a frame (parses it and hashes its tuple); the outcome is always
/// called its decision.
public struct Decision: Hashable, Sendable, CustomStringConvertible {
    /// The Toeplitz hash, `hash_value`; 0 when ``report`` is ``HashReport/none`` (docs/design.md,
    /// Unclassified frames).
    public let hash: UInt32
    /// The hash type that matched, `hash_report`, or ``HashReport/none``.
    public let report: HashReport
    /// The receive queue: from the indirection table, the unclassified queue, or the arrival
    /// queue when the configuration does not steer.
    public let queue: UInt16

    /// A decision.
    public init(hash: UInt32, report: HashReport, queue: UInt16) {
        self.hash = hash
        self.report = report
        self.queue = queue
    }

    public var description: String {
        "hash 0x\(String(hash, radix: 16)) report \(report) (\(report.rawValue)) queue \(queue)"
    }
}

/// The former name of ``Decision``.
@available(*, deprecated, renamed: "Decision")
public typealias Classification = Decision
