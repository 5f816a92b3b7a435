import Atomics

/// One reader's counts as others read them: a relaxed atomic per slot (``FrameSlots``),
/// stored by that reader only, once per batch (``FrameAccount/publish(idle:)``), and loaded by
/// anyone: no lock, no read-modify-write.
// @safe: it owns its atomics, and checks every index against its slot count.
@safe
final class ReaderCounters: @unchecked Sendable {
    // @unchecked: the storage is accessed only through UnsafeAtomic.

    let slots: FrameSlots
    private let storage: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>

    init(_ slots: FrameSlots) {
        self.slots = slots
        unsafe storage = .allocate(capacity: slots.count)
        unsafe storage.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: slots.count)
    }

    deinit {
        unsafe storage.deinitialize(count: slots.count)
        unsafe storage.deallocate()
    }

    func store(_ slot: Int, _ value: UInt64) {
        precondition(slot >= 0 && slot < slots.count, "counter slot \(slot) of \(slots.count)")
        unsafe UnsafeAtomic<UInt64>(at: storage + slot).store(value, ordering: .relaxed)
    }

    func load(_ slot: Int) -> UInt64 {
        precondition(slot >= 0 && slot < slots.count, "counter slot \(slot) of \(slots.count)")
        return unsafe UnsafeAtomic<UInt64>(at: storage + slot).load(ordering: .relaxed)
    }

    /// The counts now, decoded from one snapshot: each slot loaded exactly once, so the counts
    /// derived from several slots (frames read, redirected) agree with each other even while the
    /// reader publishes.
    var counts: FrameCounts {
        let snapshot = (0..<slots.count).map { load($0) }
        return FrameCounts(slots) { snapshot[$0] }
    }
}
