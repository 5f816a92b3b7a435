/// The decision for a frame in guest memory: the ``Decision``, whether the frame is a stray, and
/// the header bytes that carry the report.
public struct GuestDecision: Hashable, Sendable {
    /// Hash, report and receive queue.
    public let decision: Decision
    /// The configuration steers (RSS is on) and names another queue than the one the frame
    /// arrived on. Once a frame is in a queue's guest buffers it cannot move without a copy:
    /// deliver it where it arrived; count it.
    public let stray: Bool
    /// The header has hash fields (20 bytes) and the frame holds all of it.
    public let hasFields: Bool
    /// Hash reporting is on: the fields carry the hash and report, else zeros.
    public let reports: Bool

    /// Bytes 12-19 of the header (`hash_value`, `hash_report`, padding), where the header has
    /// them (20 bytes) and the frame holds all of it; nil for a 12-byte header or a frame
    /// shorter than its header. `Classifier.classify` has written them; `Classifier.decide`
    /// leaves them to the caller, at ``HashFields/offset`` from the start of the chain.
    ///
    /// Computed, not stored: a decision is 11 bytes, returned in two registers. With the
    /// fields stored as an optional the compiler assembled the returned value through the stack
    /// with stores narrower than its loads, and the failed store-to-load forwarding took about
    /// as long as the rest of a classify.
    @inline(__always)
    public var fields: HashFields? {
        guard hasFields else { return nil }
        return reports
            ? HashFields(hash: decision.hash, report: decision.report.rawValue) : HashFields(hash: 0, report: 0)
    }

    /// A decision; `hasFields` and `reports` as the properties say.
    @inline(__always)
    public init(decision: Decision, stray: Bool, hasFields: Bool, reports: Bool) {
        self.decision = decision
        self.stray = stray
        self.hasFields = hasFields
        self.reports = reports
    }
}
