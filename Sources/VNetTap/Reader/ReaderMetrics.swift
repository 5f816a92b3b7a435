import CoreMetrics
import VNetRSS

/// One reader's swift-metrics counters, brought up to its counts (``FrameSlots``) by the
/// difference since the last update: `LABEL_frames_read`, `_bytes_read` and
/// `_frames_redirected` per tap queue; `_frames` per tap queue and hash report;
/// `_frames_delivered` and `_frames_dropped` per tap and receive queue. Used by the reader
/// thread only.
// @unsafe: `update` indexes `reported` and `perSlot` by slot without checks; the slots are its own.
@unsafe
final class ReaderMetrics {
    private let slots: FrameSlots
    /// One counter per slot: bytes, each report, each queue's delivered and dropped.
    private let perSlot: [Counter]
    private let framesRead: Counter
    private let framesRedirected: Counter
    /// What each slot, and the two derived counts, last reported.
    private let reported: UnsafeMutablePointer<UInt64>
    // exclusivity(unchecked): only the reader thread touches them, never re-entrantly.
    @exclusivity(unchecked) private var reportedFrames: UInt64 = 0
    @exclusivity(unchecked) private var reportedRedirected: UInt64 = 0

    init(_ slots: FrameSlots, label: String, factory: any MetricsFactory) {
        let tap = ("tap_queue", String(slots.tapQueue))
        var perSlot: [Counter?] = Array(repeating: nil, count: slots.count)
        perSlot[FrameSlots.bytes] = Counter(label: "\(label)_bytes_read", dimensions: [tap], factory: factory)
        for report in HashReport.allCases {
            perSlot[FrameSlots.report(Int(report.rawValue))] = Counter(
                label: "\(label)_frames", dimensions: [tap, ("report", report.description)], factory: factory)
        }
        for queue in 0..<slots.receiveQueues {
            let receive = ("queue", String(queue))
            perSlot[slots.delivered(queue)] = Counter(
                label: "\(label)_frames_delivered", dimensions: [tap, receive], factory: factory)
            perSlot[slots.dropped(queue)] = Counter(
                label: "\(label)_frames_dropped", dimensions: [tap, receive], factory: factory)
        }
        unsafe self.slots = slots
        unsafe self.perSlot = perSlot.map { $0! }
        unsafe framesRead = Counter(label: "\(label)_frames_read", dimensions: [tap], factory: factory)
        unsafe framesRedirected = Counter(label: "\(label)_frames_redirected", dimensions: [tap], factory: factory)
        unsafe reported = .allocate(capacity: slots.count)
        unsafe reported.initialize(repeating: 0, count: slots.count)
    }

    deinit { unsafe reported.deallocate() }

    /// Increments every counter by what its count, read through `load`, gained since the last
    /// update.
    func update(_ load: (Int) -> UInt64) {
        for slot in unsafe 0..<slots.count {
            let count = load(slot)
            guard unsafe count != reported[slot] else { continue }
            unsafe perSlot[slot].increment(by: Int64(truncatingIfNeeded: count &- reported[slot]))
            unsafe reported[slot] = count
        }
        let frames = unsafe slots.frames(load)
        let redirected = unsafe slots.redirected(load, frames: frames)
        if unsafe frames != reportedFrames {
            unsafe framesRead.increment(by: Int64(truncatingIfNeeded: frames &- reportedFrames))
            unsafe reportedFrames = frames
        }
        if unsafe redirected != reportedRedirected {
            unsafe framesRedirected.increment(by: Int64(truncatingIfNeeded: redirected &- reportedRedirected))
            unsafe reportedRedirected = redirected
        }
    }
}
