import Atomics
import VNetRSS

/// Where ``TapSteering`` publishes its classifier to the queue threads: one writer (the control
/// thread), one reader per lane (a tap queue's thread).
///
/// Queue threads never retain or release a classifier. A release there could be the last one,
/// and freeing a classifier's tables may make a system call (a new malloc arena, a trim) that a
/// queue thread's seccomp filter refuses, and takes time off the datapath. So the control thread
/// holds every classifier a lane may still use and lets one go, in ``publish(_:)``, only when no
/// lane's hazard names it: hazard pointers (M. M. Michael, "Hazard Pointers: Safe Memory
/// Reclamation for Lock-Free Objects", IEEE TPDS 15(6), 2004), one per lane.
///
/// A queue thread pays one acquiring load per frame; the protocol runs only when the classifier
/// changed.
// @safe: no unsafe storage; the raw pointers name classifiers this object keeps alive.
@safe
final class ClassifierPublication: @unchecked Sendable {
    // @unchecked: `current` and `retired` belong to the control thread (the one writer); queue
    // threads read `latest` and each writes its own hazard.

    private let latest: ManagedAtomic<UnsafeRawPointer>
    private let hazards: [ManagedAtomic<UnsafeRawPointer>]
    private var current: Classifier
    private var retired: [Classifier] = []

    /// Publishes `classifier` to `lanes` lanes, each holding it already.
    init(_ classifier: Classifier, lanes: Int) {
        let opaque = unsafe UnsafeRawPointer(Unmanaged.passUnretained(classifier).toOpaque())
        unsafe latest = ManagedAtomic(opaque)
        unsafe hazards = (0..<lanes).map { _ in unsafe ManagedAtomic(opaque) }
        current = classifier
    }

    /// The classifier published first, for the lanes to start with (unretained: this object
    /// holds it).
    var initial: Unmanaged<Classifier> { unsafe Unmanaged.passUnretained(current) }

    /// For lane `lane`'s thread: the classifier to decide by, given the one it `held`. While a
    /// lane holds a classifier, its hazard names it and ``publish(_:)`` keeps it.
    @inline(__always)
    func acquire(lane: Int, held: Unmanaged<Classifier>) -> Unmanaged<Classifier> {
        let newest = unsafe latest.load(ordering: .acquiring)
        if unsafe newest == UnsafeRawPointer(held.toOpaque()) { return unsafe held }
        return unsafe protect(lane: lane, newest)
    }

    /// Names `candidate` in the lane's hazard, then checks that it is still the latest: if so,
    /// the writer's reclamation, which reads the hazards after it replaces `latest`, sees the
    /// hazard; if not, tries the newer one. Both sides sequentially consistent, so one of the two
    /// sees the other's store.
    @inline(never)
    private func protect(lane: Int, _ candidate: UnsafeRawPointer) -> Unmanaged<Classifier> {
        var candidate = unsafe candidate
        while true {
            unsafe hazards[lane].store(candidate, ordering: .sequentiallyConsistent)
            let again = unsafe latest.load(ordering: .sequentiallyConsistent)
            if unsafe again == candidate { return unsafe Unmanaged.fromOpaque(candidate) }
            unsafe candidate = again
        }
    }

    /// Publishes `classifier` (the control thread), then lets go of every earlier classifier
    /// no lane still names.
    func publish(_ classifier: Classifier) {
        retired.append(current)
        current = classifier
        let opaque = unsafe UnsafeRawPointer(Unmanaged.passUnretained(classifier).toOpaque())
        unsafe latest.store(opaque, ordering: .sequentiallyConsistent)
        let named = unsafe hazards.map { unsafe $0.load(ordering: .sequentiallyConsistent) }
        retired.removeAll { old in
            unsafe !named.contains(UnsafeRawPointer(Unmanaged.passUnretained(old).toOpaque()))
        }
    }

    /// Classifiers kept for lanes that have not moved on (at most one per lane).
    var retiredCount: Int { retired.count }
}
