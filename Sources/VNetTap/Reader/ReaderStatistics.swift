import CoreMetrics
import VNetRSS

/// One reader's counts in one form: plain counters the reader thread adds to per frame
/// (``local``), published once per batch to the shared ``ReaderCounters`` that
/// ``RSSEngine/statistics()`` reads, and from there to swift-metrics. Reader-private but for
/// ``counters``.
// @unsafe: `local` is indexed by slot without checks; slots come from ReaderCounters.
@unsafe
final class ReaderStatistics {
    /// What ``RSSEngine/statistics()`` reads: relaxed atomics, one per slot.
    let counters: ReaderCounters
    /// The reader's own counts, by the slots of ``counters``.
    let local: UnsafeMutablePointer<UInt64>
    /// What each slot last published to ``counters``.
    private let published: UnsafeMutablePointer<UInt64>
    /// One swift-metrics counter per slot, and what each last reported.
    private let metrics: [Counter]
    private let reported: UnsafeMutablePointer<UInt64>
    // exclusivity(unchecked): only the reader thread touches it, never re-entrantly.
    @exclusivity(unchecked) private var batchesSinceMetrics = 0

    /// Batches between two publications of the swift-metrics counters while frames keep coming.
    static let metricsInterval = 16

    init(receiveQueues: Int, tapQueue: Int, metricsLabel: String, metricsFactory: (any MetricsFactory)?) {
        unsafe counters = ReaderCounters(receiveQueues: receiveQueues)
        unsafe local = unsafe .allocate(capacity: counters.slots)
        unsafe local.initialize(repeating: 0, count: counters.slots)
        unsafe published = unsafe .allocate(capacity: counters.slots)
        unsafe published.initialize(repeating: 0, count: counters.slots)
        unsafe reported = unsafe .allocate(capacity: counters.slots)
        unsafe reported.initialize(repeating: 0, count: counters.slots)
        unsafe metrics = unsafe ReaderStatistics.makeMetrics(
            counters, tapQueue: tapQueue, label: metricsLabel, factory: metricsFactory ?? MetricsSystem.factory)
    }

    deinit {
        unsafe local.deallocate()
        unsafe published.deallocate()
        unsafe reported.deallocate()
    }

    /// `LABEL_frames_read`, `_bytes_read`, `_frames_redirected` per tap queue; `_frames` per tap
    /// queue and hash report; `_frames_delivered` and `_frames_dropped` per tap and receive queue.
    private static func makeMetrics(
        _ counters: ReaderCounters, tapQueue: Int, label: String, factory: any MetricsFactory
    ) -> [Counter] {
        let tap = ("tap_queue", String(tapQueue))
        var metrics: [Counter?] = Array(repeating: nil, count: counters.slots)
        metrics[ReaderCounters.frames] = Counter(label: "\(label)_frames_read", dimensions: [tap], factory: factory)
        metrics[ReaderCounters.bytes] = Counter(label: "\(label)_bytes_read", dimensions: [tap], factory: factory)
        metrics[ReaderCounters.redirected] = Counter(
            label: "\(label)_frames_redirected", dimensions: [tap], factory: factory)
        for report in HashReport.allCases {
            metrics[ReaderCounters.report(Int(report.rawValue))] = Counter(
                label: "\(label)_frames", dimensions: [tap, ("report", report.description)], factory: factory)
        }
        for queue in 0..<counters.receiveQueues {
            let receive = ("queue", String(queue))
            metrics[counters.delivered(queue)] = Counter(
                label: "\(label)_frames_delivered", dimensions: [tap, receive], factory: factory)
            metrics[counters.dropped(queue)] = Counter(
                label: "\(label)_frames_dropped", dimensions: [tap, receive], factory: factory)
        }
        return metrics.map { $0! }
    }

    /// After a batch: publishes the counts to ``counters``, and to swift-metrics every
    /// ``metricsInterval`` batches and whenever `idle` (the tap queue ran empty, or the reader
    /// stops): a metrics backend is at most 16 batches behind while traffic flows, and exact
    /// once it pauses.
    func publish(idle: Bool) {
        for slot in unsafe 0..<counters.slots where unsafe local[slot] != published[slot] {
            unsafe counters.store(slot, local[slot])
            unsafe published[slot] = unsafe local[slot]
        }
        unsafe batchesSinceMetrics &+= 1
        if unsafe idle || batchesSinceMetrics >= ReaderStatistics.metricsInterval { unsafe publishMetrics() }
    }

    /// Brings every swift-metrics counter up to the reader's counts; the reader thread's last act.
    func publishMetrics() {
        unsafe batchesSinceMetrics = 0
        for slot in unsafe 0..<counters.slots where unsafe local[slot] != reported[slot] {
            unsafe metrics[slot].increment(by: Int64(local[slot] &- reported[slot]))
            unsafe reported[slot] = unsafe local[slot]
        }
    }
}
