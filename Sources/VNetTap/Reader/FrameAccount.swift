import CoreMetrics
import VNetRSS

/// One reader's frame accounting, the only place a frame is counted: each sink records a
/// frame here once its fate is known, delivered to a receive queue or dropped there, with its
/// report and length. The counts are the reader thread's own, plain integers by the slots of
/// ``FrameSlots``, published once per batch to ``counters`` (what ``RSSEngine/statistics()``
/// reads) and from there to swift-metrics (``ReaderMetrics``).
///
/// Frames read are not counted apart (see ``FrameSlots``): read = delivered + dropped holds by
/// construction.
// @unsafe: the record functions index `local` without checks; the queue must be below the receive queue count and the report a HashReport raw value.
@unsafe
final class FrameAccount {
    let slots: FrameSlots
    /// What ``RSSEngine/statistics()`` reads: relaxed atomics, one per slot.
    let counters: ReaderCounters
    /// The reader's own counts, by slot.
    private let local: UnsafeMutablePointer<UInt64>
    /// What each slot last published to ``counters``.
    private let published: UnsafeMutablePointer<UInt64>
    private let metrics: ReaderMetrics
    // exclusivity(unchecked): only the reader thread touches it, never re-entrantly.
    @exclusivity(unchecked) private var batchesSinceMetrics = 0

    /// Batches between two publications of the swift-metrics counters while frames keep coming.
    static let metricsInterval = 16

    init(receiveQueues: Int, tapQueue: Int, metricsLabel: String, metricsFactory: (any MetricsFactory)?) {
        let slots = FrameSlots(tapQueue: tapQueue, receiveQueues: receiveQueues)
        unsafe self.slots = slots
        unsafe counters = ReaderCounters(slots)
        unsafe local = .allocate(capacity: slots.count)
        unsafe local.initialize(repeating: 0, count: slots.count)
        unsafe published = .allocate(capacity: slots.count)
        unsafe published.initialize(repeating: 0, count: slots.count)
        unsafe metrics = ReaderMetrics(
            slots, label: metricsLabel, factory: metricsFactory ?? MetricsSystem.factory)
    }

    deinit {
        unsafe local.deallocate()
        unsafe published.deallocate()
    }

    /// A frame of `length` bytes (its header included) handed to receive queue `queue`.
    @inline(__always)
    func delivered(to queue: Int, report: UInt16, length: Int) {
        unsafe local[FrameSlots.report(Int(report))] &+= 1
        unsafe local[FrameSlots.bytes] &+= UInt64(truncatingIfNeeded: length)
        unsafe local[slots.delivered(queue)] &+= 1
    }

    /// A frame of `length` bytes dropped at receive queue `queue` (its ring was full).
    @inline(__always)
    func dropped(at queue: Int, report: UInt16, length: Int) {
        unsafe local[FrameSlots.report(Int(report))] &+= 1
        unsafe local[FrameSlots.bytes] &+= UInt64(truncatingIfNeeded: length)
        unsafe local[slots.dropped(queue)] &+= 1
    }

    /// The reader's own counts, decoded; on the reader thread only (or once it has stopped).
    var ownCounts: FrameCounts { unsafe FrameCounts(slots) { unsafe local[$0] } }

    /// After a batch: publishes the counts to ``counters``, and to swift-metrics every
    /// ``metricsInterval`` batches and whenever `idle` (the tap queue ran empty, or the reader
    /// stops): a metrics backend is at most 16 batches behind while traffic flows, and exact
    /// once it pauses.
    func publish(idle: Bool) {
        for slot in unsafe 0..<slots.count where unsafe local[slot] != published[slot] {
            unsafe counters.store(slot, local[slot])
            unsafe published[slot] = unsafe local[slot]
        }
        unsafe batchesSinceMetrics &+= 1
        if unsafe idle || batchesSinceMetrics >= FrameAccount.metricsInterval { unsafe publishMetrics() }
    }

    /// Brings every swift-metrics counter up to the reader's counts; the reader thread's last act.
    func publishMetrics() {
        unsafe batchesSinceMetrics = 0
        unsafe metrics.update { unsafe local[$0] }
    }
}
