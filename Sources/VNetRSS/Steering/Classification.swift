/// The decision for one frame: its hash, the kind of hash, and the queue it goes to.
public struct Classification: Hashable, Sendable, CustomStringConvertible {
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
