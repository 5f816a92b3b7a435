import CVNetTapShim
import Glibc
import CoreMetrics
import Synchronization
import SystemPackage
import VNetRSS

/// How a reader takes frames from its tap queue.
public enum ReaderKind: String, Sendable, CaseIterable {
    /// `epoll_wait`, then non-blocking `read()` until `EAGAIN` or the batch is full.
    case read
    /// io_uring: one multishot read with a provided-buffer ring (kernel 6.7+), else a batch of
    /// single-shot reads.
    case uring
    /// io_uring with a batch of single-shot reads even where multishot exists (for comparison).
    case uringSingleShot = "uring-single"
}

/// The state one reader thread owns: its tap queue, its buffers, the rings out to every
/// receive queue and back from them, its counters.
final class QueueReader: @unchecked Sendable {
    // @unchecked: used by its reader thread only, apart from the rings (SPSC) and the counters
    // (atomics), which are built for sharing.

    let index: Int
    let descriptor: Int32
    let pool: PacketPool
    let headerSize: Int
    /// Out: `outbound[j]` carries frames to receive queue j.
    let outbound: [SPSCRing<RingEntry>]
    /// Back: `returns[j]` brings buffers back from receive queue j.
    let returns: [SPSCRing<UInt32>]
    /// Eventfds that wake each receive queue's consumer.
    let wakeups: [Int32]
    let counters: ReaderCounters
    let suppression: WakeSuppression
    let snapshot: PublishedSteeringCell
    let batchSize: Int
    /// Inline delivery's handler, called once per batch; nil to deliver through the rings.
    let handler: (@Sendable (ReceivedFrames) -> Void)?

    /// Frames read and not yet decided: classified together by ``flush(_:touched:)``.
    private let batch: ClassificationBatch
    /// The buffer of each frame in `batch`.
    private let batchBuffers: UnsafeMutablePointer<UInt32>
    /// The length of each frame in `batch` (header included), kept beside it so that delivery
    /// reads reader-private memory only.
    private let batchLengths: UnsafeMutablePointer<Int>
    /// Inline delivery: each frame's decision as handed over, its queue a receive queue.
    private let batchDecisions: UnsafeMutablePointer<Classification>

    /// Free buffer indices, a reader-private stack (no Array on the per-frame path).
    private let freeStack: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private(set) var freeCount: Int
    /// Local copies of the counters, published once per batch.
    let local: UnsafeMutablePointer<UInt64>
    /// The rings without reference counting on the per-frame path; `outbound` and `returns`
    /// keep them alive.
    private let outboundRings: UnsafeMutablePointer<Unmanaged<SPSCRing<RingEntry>>>
    private let receiveQueueCount: Int
    /// True while the engine holds this tap queue detached (``RSSEngine/setTapQueue(_:attached:)``).
    let detachedByEngine = Atomic<Bool>(false)

    /// Why the reader stopped, if not asked to; read by the control thread.
    private let failureBox = Mutex<TapError?>(nil)
    var failure: TapError? {
        get { failureBox.withLock { $0 } }
        set { failureBox.withLock { $0 = newValue } }
    }

    /// What each counter slot last published to the statistics counters.
    private let published: UnsafeMutablePointer<UInt64>
    /// One swift-metrics counter per counter slot, what each last reported, and the batches
    /// since they last did.
    private let metrics: [Counter]
    private let reported: UnsafeMutablePointer<UInt64>
    @exclusivity(unchecked) private var batchesSinceMetrics = 0

    init(
        index: Int, descriptor: Int32, pool: PacketPool, headerSize: Int, outbound: [SPSCRing<RingEntry>],
        returns: [SPSCRing<UInt32>], wakeups: [Int32], suppression: WakeSuppression, snapshot: PublishedSteeringCell,
        batchSize: Int, metricsLabel: String, metricsFactory: (any MetricsFactory)? = nil,
        handler: (@Sendable (ReceivedFrames) -> Void)? = nil
    ) {
        self.handler = handler
        self.index = index
        self.descriptor = descriptor
        self.pool = pool
        self.headerSize = headerSize
        self.outbound = outbound
        self.returns = returns
        self.wakeups = wakeups
        self.suppression = suppression
        self.snapshot = snapshot
        self.batchSize = max(1, batchSize)
        batch = ClassificationBatch(capacity: max(batchSize, QueueReader.minimumBatch))
        batchBuffers = .allocate(capacity: batch.capacity)
        batchLengths = .allocate(capacity: batch.capacity)
        batchDecisions = .allocate(capacity: batch.capacity)
        counters = ReaderCounters(receiveQueues: outbound.count)
        receiveQueueCount = outbound.count
        freeStack = .allocate(capacity: pool.count)
        for slot in 0..<pool.count { freeStack[slot] = UInt32(pool.count - 1 - slot) }
        freeCount = pool.count
        local = .allocate(capacity: counters.slots)
        local.initialize(repeating: 0, count: counters.slots)
        outboundRings = .allocate(capacity: outbound.count)
        for (queue, ring) in outbound.enumerated() { outboundRings[queue] = Unmanaged.passUnretained(ring) }
        published = .allocate(capacity: counters.slots)
        published.initialize(repeating: 0, count: counters.slots)
        reported = .allocate(capacity: counters.slots)
        reported.initialize(repeating: 0, count: counters.slots)
        metrics = QueueReader.makeMetrics(
            counters, tapQueue: index, label: metricsLabel, factory: metricsFactory ?? MetricsSystem.factory)
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

    deinit {
        batchBuffers.deallocate()
        batchLengths.deallocate()
        batchDecisions.deallocate()
        freeStack.deallocate()
        local.deallocate()
        published.deallocate()
        reported.deallocate()
        outboundRings.deallocate()
    }

    /// After a wait that brought nothing: whether the queue has lost its device, as the error to
    /// stop with. Deleting a tap wakes its queues' readers before it takes the device from them
    /// (`tun_detach_all`), so a read in that window finds the queue merely empty; an epoll
    /// reader then sees the queue's error state on its next wait, but a poll-armed io_uring read
    /// waits for a wake-up that never comes. `POLLERR` on a queue the engine did not detach
    /// means no device is behind it: `EBADFD`, what a read would now return.
    func lostDevice() -> Errno? {
        guard !detachedByEngine.load(ordering: .relaxed) else { return nil }
        var probe = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&probe, 1, 0) == 1, probe.revents & Int16(POLLERR) != 0 else { return nil }
        return Errno(rawValue: EBADFD)
    }

    /// Takes a free buffer; nil when every buffer is out.
    @inline(__always)
    func popFree() -> UInt32? {
        guard freeCount > 0 else { return nil }
        freeCount &-= 1
        return freeStack[freeCount]
    }

    /// Gives a buffer back to the free stack.
    @inline(__always)
    func pushFree(_ bufferIndex: UInt32) {
        freeStack[freeCount] = bufferIndex
        freeCount &+= 1
    }

    /// Hands every free buffer to `body` (for io_uring's buffer ring) and empties the stack.
    func takeAllFree(_ body: (UnsafePointer<UInt32>, Int) -> Void) {
        guard freeCount > 0 else { return }
        body(freeStack, freeCount)
        freeCount = 0
    }

    /// Takes back the buffers the consumers finished with.
    @inline(__always)
    func reclaim() {
        for ring in returns {
            while let bufferIndex = ring.pop() { pushFree(bufferIndex) }
        }
    }

    /// The least room the classification batch has: one io_uring wait returns up to 64 completions.
    static let minimumBatch = 64

    /// Adds the frame read into buffer `bufferIndex` (`length` bytes with the header) to the
    /// batch, deciding the batch first when it is full.
    @inline(__always)
    func add(_ state: PublishedSteering, bufferIndex: UInt32, length: Int, touched: inout UInt64) {
        if batch.isFull { flush(state, touched: &touched) }
        batchBuffers[batch.count] = bufferIndex
        batchLengths[batch.count] = length
        batch.append(
            UnsafeMutableRawBufferPointer(start: pool.buffer(Int(bufferIndex)), count: length),
            arrivalQueue: UInt16(truncatingIfNeeded: index))
    }

    /// The buffers the next `read()` burst may fill, at most `limit` (and at most a batch):
    /// burst slot `i` reads into buffer `top[-1 - i]`, the free stack's entries from the top
    /// down, left in place until ``decideBurst(_:_:touched:)`` takes the ones filled.
    @inline(__always)
    func burstBuffers(_ limit: Int) -> (top: UnsafePointer<UInt32>, count: Int) {
        (UnsafePointer(freeStack + freeCount), min(limit, freeCount, batch.capacity))
    }

    /// Where a burst records the length of each frame it read (header included), by slot.
    var burstLengths: UnsafeMutablePointer<Int> { batchLengths }

    /// Takes the `count` buffers the last burst filled off the free stack, adds their frames to
    /// the (empty) batch, and decides them (``flush(_:touched:)``).
    func decideBurst(_ count: Int, _ state: PublishedSteering, touched: inout UInt64) {
        let top = freeCount
        freeCount &-= count
        let arrival = UInt16(truncatingIfNeeded: index)
        for slot in 0..<count {
            let bufferIndex = freeStack[top &- 1 &- slot]
            batchBuffers[slot] = bufferIndex
            batch.append(
                UnsafeMutableRawBufferPointer(start: pool.buffer(Int(bufferIndex)), count: batchLengths[slot]),
                arrivalQueue: arrival)
        }
        flush(state, touched: &touched)
    }

    /// Decides the frames added since the last flush, all together, and hands each to its
    /// receive queue (or drops it when that queue's ring is full), marking in `touched` the
    /// receive queues that got frames.
    @inline(__always)
    func flush(_ state: PublishedSteering, touched: inout UInt64) {
        let count = batch.count
        guard count > 0 else { return }
        if state.steering != .kernel { state.classifier.process(batch, headerSize: headerSize) }
        if let handler, state.steering == .program {
            deliverOwnInline(state, count, handler, &touched)
        } else if let handler {
            deliverInline(state, count, handler)
        } else {
            for slot in 0..<count { deliverToRing(decision(state, slot), slot, &touched) }
        }
        batch.removeAll()
    }

    /// Frame `slot`'s decision: the classifier's, or the kernel's read back from its header.
    @inline(__always)
    private func decision(_ state: PublishedSteering, _ slot: Int) -> Classification {
        state.steering == .kernel ? kernelDecision(batch.packet(slot)) : batch[slot]
    }

    /// Counts a decided frame read on this tap queue; returns its receive queue.
    @inline(__always)
    private func count(_ decision: Classification, length: Int) -> Int {
        let queue = receiveQueue(decision)
        local[ReaderCounters.frames] &+= 1
        local[ReaderCounters.bytes] &+= UInt64(length)
        local[ReaderCounters.report(Int(decision.report.rawValue))] &+= 1
        if queue != index { local[ReaderCounters.redirected] &+= 1 }
        return queue
    }

    /// The receive queue of a decision. Without RSS a frame stays on its arrival queue, which
    /// may lie past the receive queues.
    @inline(__always)
    private func receiveQueue(_ decision: Classification) -> Int {
        let queue = Int(decision.queue)
        return queue < receiveQueueCount ? queue : queue % receiveQueueCount
    }

    /// Inline delivery of the batch's `count` frames: the handler sees them on this thread, in
    /// one call, and their buffers are free again after. The handler comes in as a
    /// non-escaping parameter, once per batch, so that no call retains or releases the
    /// closure's context, as a call through the stored optional would.
    ///
    /// Per frame it counts only what differs between frames (the report, the receive queue) and
    /// records the decision the handler reads; frames, bytes and redirections are counted once
    /// per batch, and the batch's buffers go back to the free stack in one copy after the call.
    @inline(never)
    private func deliverInline(_ state: PublishedSteering, _ count: Int, _ handler: (ReceivedFrames) -> Void) {
        let kernel = state.steering == .kernel
        // Frames that stay on this queue are those delivered to it; the rest were redirected.
        let ownSlot = index < receiveQueueCount ? counters.delivered(index) : nil
        let stayedBefore = ownSlot.map { local[$0] } ?? 0
        var bytes = 0
        for slot in 0..<count {
            let decision = kernel ? kernelDecision(batch.packet(slot)) : batch[slot]
            let queue = receiveQueue(decision)
            local[ReaderCounters.report(Int(decision.report.rawValue))] &+= 1
            local[counters.delivered(queue)] &+= 1
            bytes &+= batchLengths[slot]
            batchDecisions[slot] = Classification(
                hash: decision.hash, report: decision.report, queue: UInt16(truncatingIfNeeded: queue))
        }
        handler(
            ReceivedFrames(
                tapQueue: index, headerSize: headerSize, count: count, poolBase: pool.base,
                bufferStride: pool.bufferSize,
                buffers: batchBuffers, lengths: batchLengths, decisions: batchDecisions))
        let stayed = ownSlot.map { local[$0] &- stayedBefore } ?? 0
        local[ReaderCounters.frames] &+= UInt64(count)
        local[ReaderCounters.bytes] &+= UInt64(bytes)
        local[ReaderCounters.redirected] &+= UInt64(count) &- stayed
        (freeStack + freeCount).update(from: batchBuffers, count: count)
        freeCount &+= count
    }

    /// Inline delivery where the steering program steers: the handler gets, in one call, the
    /// frames of this reader's own receive queue, which are nearly all of them; a frame the
    /// program put on this tap queue for another receive queue (a swap in flight, a detached
    /// queue, a foreign program) goes to that queue's ring, as with ring delivery, so that only
    /// the thread that owns a queue ever sees its frames. Kept frames move to the front of the
    /// batch's arrays; a frame moves only to a slot already handed on or its own.
    @inline(never)
    private func deliverOwnInline(
        _ state: PublishedSteering, _ count: Int, _ handler: (ReceivedFrames) -> Void, _ touched: inout UInt64
    ) {
        var kept = 0
        var bytes = 0
        for slot in 0..<count {
            let decision = batch[slot]
            let queue = receiveQueue(decision)
            guard queue == index else {
                deliverToRing(decision, slot, &touched)
                continue
            }
            local[ReaderCounters.report(Int(decision.report.rawValue))] &+= 1
            local[counters.delivered(queue)] &+= 1
            bytes &+= batchLengths[slot]
            batchBuffers[kept] = batchBuffers[slot]
            batchLengths[kept] = batchLengths[slot]
            batchDecisions[kept] = Classification(
                hash: decision.hash, report: decision.report, queue: UInt16(truncatingIfNeeded: queue))
            kept &+= 1
        }
        guard kept > 0 else { return }
        handler(
            ReceivedFrames(
                tapQueue: index, headerSize: headerSize, count: kept, poolBase: pool.base,
                bufferStride: pool.bufferSize,
                buffers: batchBuffers, lengths: batchLengths, decisions: batchDecisions))
        local[ReaderCounters.frames] &+= UInt64(kept)
        local[ReaderCounters.bytes] &+= UInt64(bytes)
        (freeStack + freeCount).update(from: batchBuffers, count: kept)
        freeCount &+= kept
    }

    /// Pushes a decided frame to its receive queue's ring, or drops it (counted, buffer back on
    /// the free stack) when that ring is full.
    @inline(__always)
    private func deliverToRing(_ decision: Classification, _ slot: Int, _ touched: inout UInt64) {
        let length = batch.packet(slot).count
        let bufferIndex = batchBuffers[slot]
        let queue = count(decision, length: length)
        let delivery = RingEntry(
            bufferIndex: bufferIndex, length: UInt32(length), hash: decision.hash,
            report: decision.report.rawValue, tapQueue: UInt16(truncatingIfNeeded: index))
        if outboundRings[queue]._withUnsafeGuaranteedRef({ $0.push(delivery) }) {
            local[counters.delivered(queue)] &+= 1
            touched |= 1 << UInt64(queue & 63)
            return
        }
        local[counters.dropped(queue)] &+= 1
        pushFree(bufferIndex)
    }

    /// The kernel steered the frame to this queue and wrote the hash fields; the engine sets
    /// `num_buffers` (the kernel leaves it zero) and reads the rest back.
    @inline(__always)
    private func kernelDecision(_ packet: UnsafeMutableRawBufferPointer) -> Classification {
        let queue = UInt16(truncatingIfNeeded: index)
        guard let written = VirtioNetHashHeader.completeKernelReport(packet, size: headerSize) else {
            return Classification(hash: 0, report: .none, queue: queue)
        }
        return Classification(hash: written.hash, report: HashReport(rawValue: written.report) ?? .none, queue: queue)
    }

    /// Batches between two publications of the swift-metrics counters while frames keep coming.
    static let metricsInterval = 16

    /// Publishes the batch: the statistics counters, and a wake-up for each receive queue touched
    /// whose consumer sleeps. The swift-metrics counters follow every
    /// ``metricsInterval`` batches, and whenever `idle` (the tap queue ran empty, or the reader
    /// stops): a metrics backend is at most 16 batches behind while traffic flows, and exact once
    /// it pauses.
    func finishBatch(touched: inout UInt64, idle: Bool) {
        for slot in 0..<counters.slots where local[slot] != published[slot] {
            counters.store(slot, local[slot])
            published[slot] = local[slot]
        }
        batchesSinceMetrics &+= 1
        if idle || batchesSinceMetrics >= QueueReader.metricsInterval { publishMetrics() }
        var pending = touched
        while pending != 0 {
            let queue = pending.trailingZeroBitCount
            pending &= pending - 1
            guard suppression.needsWake(queue) else { continue }
            var one: UInt64 = 1
            _ = Glibc.write(wakeups[queue], &one, 8)
        }
        touched = 0
    }

    /// Brings every swift-metrics counter up to the statistics counters; the reader thread's
    /// last act.
    func publishMetrics() {
        batchesSinceMetrics = 0
        for slot in 0..<counters.slots where local[slot] != reported[slot] {
            metrics[slot].increment(by: Int64(local[slot] &- reported[slot]))
            reported[slot] = local[slot]
        }
    }

}

/// What readers use for a batch: the classifier, and whether the kernel already steered.
/// Immutable; swapped whole by `apply` (one atomic reference swap).
final class PublishedSteering: Sendable {
    let classifier: Classifier
    let steering: Steering
    /// Why `steering` is what it is, for ``RSSEngine/steeringReason``.
    let reason: String

    init(_ classifier: Classifier, _ steering: Steering, reason: String = "") {
        self.classifier = classifier
        self.steering = steering
        self.reason = reason
    }
}

/// The steering state readers load once per batch.
final class PublishedSteeringCell: @unchecked Sendable {
    // @unchecked: the reference is only touched through the ManagedAtomic.
    private let current: AtomicPublishedSteering

    init(_ state: PublishedSteering) { current = AtomicPublishedSteering(state) }

    /// The state for the next batch (one atomic load and retain per batch, not per frame).
    func load() -> PublishedSteering { current.load() }

    /// Publishes `state`; batches already started finish with the old one.
    func store(_ state: PublishedSteering) { current.store(state) }
}
