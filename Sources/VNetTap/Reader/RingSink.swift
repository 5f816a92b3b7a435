import Glibc
import VNetRSS

/// Delivery through the rings: each frame goes to its receive queue's ring from this tap
/// queue, or is dropped (counted, its buffer back on the free stack) when that ring is full;
/// the consumers of the queues that got frames are woken once per batch, where they sleep.
// @unsafe: `deliver(_:slot:)` trusts the slot to be below the batch's count, and the queue to be a receive queue.
@unsafe
final class RingSink: FrameSink {
    private let tapQueue: Int
    /// `rings[q]` carries this tap queue's frames to receive queue q, without reference
    /// counting on the per-frame path; `owners` keeps them alive.
    private let rings: UnsafeMutablePointer<Unmanaged<SPSCRing<RingEntry>>>
    private let owners: [SPSCRing<RingEntry>]
    /// The eventfd that wakes each receive queue's consumer (the engine owns them).
    private let wakeups: [Int32]
    private let suppression: WakeSuppression
    private let account: FrameAccount
    private let free: FreeBuffers
    /// Bit q: receive queue q got frames since the last wake-up (the engine has at most 64
    /// receive queues).
    // exclusivity(unchecked): only the reader thread touches it, never re-entrantly.
    @exclusivity(unchecked) private var touched: UInt64 = 0

    init(
        tapQueue: Int, rings: [SPSCRing<RingEntry>], wakeups: [Int32], suppression: WakeSuppression,
        account: FrameAccount, free: FreeBuffers
    ) {
        unsafe self.tapQueue = tapQueue
        unsafe owners = rings
        unsafe self.rings = .allocate(capacity: rings.count)
        for (queue, ring) in rings.enumerated() { unsafe (self.rings + queue).initialize(to: .passUnretained(ring)) }
        unsafe self.wakeups = wakeups
        unsafe self.suppression = suppression
        unsafe self.account = unsafe account
        unsafe self.free = unsafe free
    }

    deinit { unsafe rings.deallocate() }

    func deliver(_ batch: ReaderBatch, steering: Steering) {
        for slot in unsafe 0..<batch.count { unsafe deliver(batch, slot: slot) }
    }

    /// Pushes frame `slot` of `batch` to its receive queue's ring, or drops it when that ring
    /// is full (its buffer back on the free stack); counts it either way.
    @inline(__always)
    func deliver(_ batch: ReaderBatch, slot: Int) {
        let decision = unsafe batch.decisions[slot]
        let length = unsafe batch.lengths[slot]
        let bufferIndex = unsafe batch.buffers[slot]
        let queue = Int(decision.queue)
        let entry = unsafe RingEntry(
            bufferIndex: bufferIndex, length: UInt32(length), hash: decision.hash,
            report: decision.report.rawValue, tapQueue: UInt16(truncatingIfNeeded: tapQueue))
        // _withUnsafeGuaranteedRef: `owners` keeps every ring alive for the sink's life.
        if unsafe rings[queue]._withUnsafeGuaranteedRef({ $0.push(entry) }) {
            unsafe account.delivered(to: queue, report: decision.report.rawValue, length: length)
            unsafe touched |= 1 << UInt64(queue & 63)
            return
        }
        unsafe account.dropped(at: queue, report: decision.report.rawValue, length: length)
        unsafe free.push(bufferIndex)
    }

    func wakeConsumers() {
        var pending = unsafe touched
        unsafe touched = 0
        while pending != 0 {
            let queue = pending.trailingZeroBitCount
            pending &= pending - 1
            guard unsafe suppression.needsWake(queue) else { continue }
            var one: UInt64 = 1
            _ = unsafe Glibc.write(wakeups[queue], &one, 8)
        }
    }
}
