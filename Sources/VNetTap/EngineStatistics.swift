import Atomics
import VNetRSS

/// A snapshot of the engine's counters: what each tap queue read, what each receive queue got
/// or lost, and the hash reports. Frames read = frames delivered + frames dropped, per engine.
public struct EngineStatistics: Hashable, Sendable {
    /// Per tap queue: frames and bytes read from its fd.
    public struct TapQueueCounters: Hashable, Sendable {
        public var frames: UInt64 = 0
        public var bytes: UInt64 = 0
        /// Frames steered to another queue than the one they were read on.
        public var redirected: UInt64 = 0
    }

    /// Per receive queue: frames handed to its consumer's ring, and frames dropped because the
    /// ring was full (the consumer fell behind).
    public struct ReceiveQueueCounters: Hashable, Sendable {
        public var delivered: UInt64 = 0
        public var dropped: UInt64 = 0
    }

    public var tapQueues: [TapQueueCounters]
    public var receiveQueues: [ReceiveQueueCounters]
    /// Frames per ``HashReport`` raw value (index 0 is unclassified).
    public var reports: [UInt64]

    /// Every frame read.
    public var framesRead: UInt64 { tapQueues.reduce(0) { $0 + $1.frames } }
    /// Every frame delivered to a receive queue.
    public var framesDelivered: UInt64 { receiveQueues.reduce(0) { $0 + $1.delivered } }
    /// Every frame dropped.
    public var framesDropped: UInt64 { receiveQueues.reduce(0) { $0 + $1.dropped } }
    /// Frames with no hash (report NONE).
    public var unclassified: UInt64 { reports[0] }
}

/// One reader's counters, written by that reader only (relaxed stores once per batch) and read
/// by anyone: no lock, no read-modify-write on the per-frame path.
// @safe: it owns its atomics; every index comes from its own slot functions, below `slots`.
@safe
final class ReaderCounters: @unchecked Sendable {
    // @unchecked: the storage is accessed only through UnsafeAtomic.

    static let frames = 0, bytes = 1, redirected = 2, firstReport = 3
    let receiveQueues: Int
    private let count: Int
    /// The slot of the first receive queue's delivered count (after every report's), and of its
    /// dropped count. Stored, not static: a static computed from `HashReport.allCases` costs a
    /// lazy-initialisation check on every frame.
    private let firstDelivered: Int
    private let firstDropped: Int
    private let storage: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>

    init(receiveQueues: Int) {
        self.receiveQueues = receiveQueues
        firstDelivered = ReaderCounters.firstReport + HashReport.allCases.count
        firstDropped = firstDelivered + receiveQueues
        count = firstDropped + receiveQueues
        unsafe storage = .allocate(capacity: count)
        unsafe storage.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: count)
    }

    deinit {
        unsafe storage.deinitialize(count: count)
        unsafe storage.deallocate()
    }

    @inline(__always) static func report(_ raw: Int) -> Int { firstReport &+ raw }
    @inline(__always) func delivered(_ queue: Int) -> Int { firstDelivered &+ queue }
    @inline(__always) func dropped(_ queue: Int) -> Int { firstDropped &+ queue }
    var slots: Int { count }

    func store(_ index: Int, _ value: UInt64) {
        unsafe UnsafeAtomic<UInt64>(at: storage + index).store(value, ordering: .relaxed)
    }

    func load(_ index: Int) -> UInt64 {
        unsafe UnsafeAtomic<UInt64>(at: storage + index).load(ordering: .relaxed)
    }
}
