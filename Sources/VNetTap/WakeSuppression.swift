import Atomics

/// Event suppression between the readers and the consumers, as virtio does it with
/// `VRING_AVAIL_F_NO_INTERRUPT`: a consumer raises its flag just before it sleeps, and a reader
/// writes the queue's eventfd only when it finds the flag raised. A busy consumer costs the
/// readers no system call.
///
/// Dekker-style: the consumer stores the flag, fences, then looks at its rings; the reader
/// publishes a frame, fences, then looks at the flag. Sequentially consistent fences on both
/// sides mean at least one of them sees the other, so no wake-up is lost.
final class WakeSuppression: @unchecked Sendable {
    // @unchecked: ManagedAtomic values are safe to share.
    private let sleeping: [ManagedAtomic<Bool>]

    init(queues: Int) {
        sleeping = (0..<queues).map { _ in ManagedAtomic(false) }
    }

    /// Consumer side: announce sleep on `queue`, then the caller re-checks its rings.
    func prepareToSleep(_ queue: Int) {
        sleeping[queue].store(true, ordering: .sequentiallyConsistent)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
    }

    /// Consumer side: awake again.
    func awake(_ queue: Int) {
        sleeping[queue].store(false, ordering: .relaxed)
    }

    /// Reader side, after publishing frames for `queue`: true when its consumer must be woken
    /// (and the flag is cleared, so one wake-up serves one sleep).
    func needsWake(_ queue: Int) -> Bool {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        return sleeping[queue].load(ordering: .relaxed)
            && sleeping[queue].exchange(false, ordering: .acquiringAndReleasing)
    }
}
