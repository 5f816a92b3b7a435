import Atomics
import VNetRSS

/// What one tap queue's thread uses to classify the frames it read: the steering state it last
/// acquired (``SteeringPublication``), the prefix copy, and its counters. Touched by that thread only, but for the counters,
/// which the control thread reads.
// @safe: the state is held unretained, kept alive by SteeringPublication while this lane's
// hazard names it; @exclusivity(unchecked) because only the owning thread touches it, so the
// dynamic check would cost every frame for nothing.
@safe
final class SteeringLane: @unchecked Sendable {
    // @unchecked: `state` belongs to the queue's thread (one at a time, the documented
    // contract); the counters are atomics with one writer.

    @exclusivity(unchecked) var state: Unmanaged<PublishedSteering>
    let prefix = FramePrefix()
    let frames = ManagedAtomic<UInt64>(0)
    let strays = ManagedAtomic<UInt64>(0)
    let unclassified = ManagedAtomic<UInt64>(0)

    init(_ state: Unmanaged<PublishedSteering>) {
        unsafe self.state = state
    }

    /// Counts `decided`: one writer, so a load and a store, not a locked read-modify-write.
    @inline(__always)
    func count(_ decided: GuestDecision) {
        frames.store(frames.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        if decided.stray { strays.store(strays.load(ordering: .relaxed) &+ 1, ordering: .relaxed) }
        if decided.decision.report == .none {
            unclassified.store(unclassified.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        }
    }
}
