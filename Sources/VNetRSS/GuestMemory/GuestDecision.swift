/// The decision for a frame in guest memory: the ``Decision``, whether the frame is a stray, and
/// the header bytes that carry the report.
public struct GuestDecision: Hashable, Sendable {
    /// Hash, report and receive queue.
    public let decision: Decision
    /// The configuration steers (RSS is on) and names another queue than the one the frame
    /// arrived on. Once a frame is in a queue's guest buffers it cannot move without a copy:
    /// deliver it where it arrived; count it.
    public let stray: Bool
    /// Bytes 12-19 of the header (`hash_value`, `hash_report`, padding), where the header has
    /// them (20 bytes) and the frame holds all of it; nil for a 12-byte header or a frame
    /// shorter than its header. `Classifier.classify` has written them; `Classifier.decide`
    /// leaves them to the caller, at ``HashFields/offset`` from the start of the chain.
    public let fields: HashFields?

    /// A decision.
    public init(decision: Decision, stray: Bool, fields: HashFields?) {
        self.decision = decision
        self.stray = stray
        self.fields = fields
    }
}
