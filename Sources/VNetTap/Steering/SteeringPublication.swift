import Atomics
import VNetRSS

/// Where a tap's steering (``SteeringMachine``) publishes what queue threads decide by: one
/// writer (the control thread), one reader per lane (a tap queue's thread: an engine's reader,
/// or a VMM's queue thread under ``TapSteering``). The one atomic pointer between control and
/// datapath.
///
/// Queue threads never retain or release a published state. A release there could be the last
/// one, and freeing a state's tables may make a system call (a new malloc arena, a trim)
/// that a queue thread's seccomp filter refuses, and takes time off the datapath. So the control
/// thread holds every state a lane may still use and lets one go, in ``publish(_:)``, only when
/// no lane's hazard names it: hazard pointers (M. M. Michael, "Hazard Pointers: Safe Memory
/// Reclamation for Lock-Free Objects", IEEE TPDS 15(6), 2004), one per lane.
///
/// A queue thread pays one acquiring load per frame or batch; the protocol runs only when the
/// state changed.
// @safe: no unsafe storage; the raw pointers name states this object keeps alive.
@safe
final class SteeringPublication: @unchecked Sendable {
    // @unchecked: `current` and `retired` belong to the control thread (the one writer); queue
    // threads read `latest` and each writes its own hazard.

    private let latest: ManagedAtomic<UnsafeRawPointer>
    private let hazards: [ManagedAtomic<UnsafeRawPointer>]
    private var current: PublishedSteering
    private var retired: [PublishedSteering] = []

    /// Publishes `state` to `lanes` lanes, each holding it already.
    init(_ state: PublishedSteering, lanes: Int) {
        let opaque = unsafe UnsafeRawPointer(Unmanaged.passUnretained(state).toOpaque())
        unsafe latest = ManagedAtomic(opaque)
        unsafe hazards = (0..<lanes).map { _ in unsafe ManagedAtomic(opaque) }
        current = state
    }

    /// For the control thread, before lane `lane`'s thread runs: the state the lane starts
    /// with, the one published last, which the lane's hazard now names (unretained: this object
    /// holds it). A lane must start here, not with a state it merely read: a state its hazard
    /// does not name is freed by the next ``publish(_:)``.
    func start(lane: Int) -> Unmanaged<PublishedSteering> {
        let opaque = unsafe UnsafeRawPointer(Unmanaged.passUnretained(current).toOpaque())
        unsafe hazards[lane].store(opaque, ordering: .sequentiallyConsistent)
        return unsafe Unmanaged.passUnretained(current)
    }

    /// For lane `lane`'s thread: the state to decide by, given the one it `held`. While a
    /// lane holds a state, its hazard names it and ``publish(_:)`` keeps it.
    @inline(__always)
    func acquire(lane: Int, held: Unmanaged<PublishedSteering>) -> Unmanaged<PublishedSteering> {
        let newest = unsafe latest.load(ordering: .acquiring)
        if unsafe newest == UnsafeRawPointer(held.toOpaque()) { return unsafe held }
        return unsafe protect(lane: lane, newest)
    }

    /// Names `candidate` in the lane's hazard, then checks that it is still the latest: if so,
    /// the writer's reclamation, which reads the hazards after it replaces `latest`, sees the
    /// hazard; if not, tries the newer one. Both sides sequentially consistent, so one of the two
    /// sees the other's store.
    @inline(never)
    private func protect(lane: Int, _ candidate: UnsafeRawPointer) -> Unmanaged<PublishedSteering> {
        var candidate = unsafe candidate
        while true {
            unsafe hazards[lane].store(candidate, ordering: .sequentiallyConsistent)
            let again = unsafe latest.load(ordering: .sequentiallyConsistent)
            if unsafe again == candidate { return unsafe Unmanaged.fromOpaque(candidate) }
            unsafe candidate = again
        }
    }

    /// Publishes `state` (the control thread), then lets go of every earlier state
    /// no lane still names.
    func publish(_ state: PublishedSteering) {
        retired.append(current)
        current = state
        let opaque = unsafe UnsafeRawPointer(Unmanaged.passUnretained(state).toOpaque())
        unsafe latest.store(opaque, ordering: .sequentiallyConsistent)
        let named = unsafe hazards.map { unsafe $0.load(ordering: .sequentiallyConsistent) }
        retired.removeAll { old in
            unsafe !named.contains(UnsafeRawPointer(Unmanaged.passUnretained(old).toOpaque()))
        }
    }

    /// States kept for lanes that have not moved on (at most one per lane).
    var retiredCount: Int { retired.count }
}
