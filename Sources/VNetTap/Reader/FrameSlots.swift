import VNetRSS

/// Where each of one reader's counts sits: the bytes read, a count per hash report, then per
/// receive queue the frames delivered to it, then per receive queue the frames dropped there.
/// The one definition of the layout: ``FrameAccount`` counts by it, and ``FrameCounts`` and
/// ``ReaderMetrics`` read by it.
///
/// No slot counts the frames read or the frames redirected. A tap queue's frames read are
/// those counted delivered or dropped, and its redirected frames those of them counted at
/// another receive queue than its own, so frames read = delivered + dropped holds by
/// construction in any decoding of one set of slot values (``ReaderCounters/counts`` loads
/// each slot once, then decodes).
struct FrameSlots {
    static let bytes = 0
    static let firstReport = 1
    /// The tap queue whose frames these are: frames counted at any other receive queue were
    /// redirected.
    let tapQueue: Int
    let receiveQueues: Int
    /// The slot of receive queue 0's delivered count (after every report's), and of its
    /// dropped count. Stored, not static: a static computed from `HashReport.allCases` costs a
    /// lazy-initialisation check on every frame.
    private let firstDelivered: Int
    private let firstDropped: Int
    /// How many slots there are.
    let count: Int

    init(tapQueue: Int, receiveQueues: Int) {
        self.tapQueue = tapQueue
        self.receiveQueues = receiveQueues
        firstDelivered = FrameSlots.firstReport + HashReport.allCases.count
        firstDropped = firstDelivered + receiveQueues
        count = firstDropped + receiveQueues
    }

    @inline(__always) static func report(_ raw: Int) -> Int { firstReport &+ raw }
    @inline(__always) func delivered(_ queue: Int) -> Int { firstDelivered &+ queue }
    @inline(__always) func dropped(_ queue: Int) -> Int { firstDropped &+ queue }

    /// Frames read, from the slots `load` gives: every frame counted delivered or dropped.
    func frames(_ load: (Int) -> UInt64) -> UInt64 {
        var frames: UInt64 = 0
        for queue in 0..<receiveQueues { frames &+= load(delivered(queue)) &+ load(dropped(queue)) }
        return frames
    }

    /// Frames redirected, of `frames` read: those counted at another receive queue than the tap
    /// queue's own (all of them where the tap queue has no receive queue of its number).
    func redirected(_ load: (Int) -> UInt64, frames: UInt64) -> UInt64 {
        guard tapQueue < receiveQueues else { return frames }
        return frames &- load(delivered(tapQueue)) &- load(dropped(tapQueue))
    }
}

/// One reader's counts, decoded from its slots (``FrameSlots``): what
/// ``RSSEngine/statistics()`` sums over the readers. `load` must give the same value for a slot
/// each time it is asked (a snapshot, or the reader's own counts on its thread).
struct FrameCounts: Equatable {
    var frames: UInt64
    var bytes: UInt64
    var redirected: UInt64
    /// Per ``HashReport`` raw value.
    var reports: [UInt64]
    /// Per receive queue.
    var delivered: [UInt64]
    var dropped: [UInt64]

    init(_ slots: FrameSlots, _ load: (Int) -> UInt64) {
        frames = slots.frames(load)
        bytes = load(FrameSlots.bytes)
        redirected = slots.redirected(load, frames: frames)
        reports = HashReport.allCases.indices.map { load(FrameSlots.report($0)) }
        delivered = (0..<slots.receiveQueues).map { load(slots.delivered($0)) }
        dropped = (0..<slots.receiveQueues).map { load(slots.dropped($0)) }
    }
}
