import VNetRSS

/// Inline delivery: the VMM's handler gets a batch's frames on the reader thread, in one call
/// (``ReceivedFrames``), and their buffers are free again after it.
///
/// Where the steering program steers, the handler gets only the frames of this reader's own
/// receive queue (tap queue q, receive queue q), nearly all of them; a frame the program put
/// here for another receive queue (a swap in flight, a detached queue, a foreign program) goes
/// to that queue's ring (``RingSink``), so that only the thread that owns a queue ever sees
/// its frames.
final class InlineSink: FrameSink {
    private let tapQueue: Int
    private let headerSize: Int
    private let pool: PacketPool
    private let handler: @Sendable (ReceivedFrames) -> Void
    /// Where frames for other receive queues go under the steering program.
    private let strays: RingSink
    private let statistics: ReaderStatistics
    private let free: FreeBuffers

    init(
        tapQueue: Int, headerSize: Int, pool: PacketPool, handler: @escaping @Sendable (ReceivedFrames) -> Void,
        strays: RingSink, statistics: ReaderStatistics, free: FreeBuffers
    ) {
        self.tapQueue = tapQueue
        self.headerSize = headerSize
        self.pool = pool
        self.handler = handler
        self.strays = strays
        self.statistics = statistics
        self.free = free
    }

    func deliver(_ batch: ReaderBatch, steering: Steering) {
        // The handler goes in as a non-escaping argument, once per batch, so that no call
        // retains or releases the closure's context, as calls through the stored one would.
        if steering == .program {
            deliverOwn(batch, handler)
        } else {
            deliverAll(batch, handler)
        }
    }

    func wakeConsumers() { strays.wakeConsumers() }

    /// Every frame of the batch to the handler. Per frame it counts only what differs between
    /// frames (the report, the receive queue); frames, bytes and redirections are counted once
    /// per batch, and the buffers go back to the free stack in one copy after the call.
    @inline(never)
    private func deliverAll(_ batch: ReaderBatch, _ handler: (ReceivedFrames) -> Void) {
        let count = batch.count
        let local = statistics.local
        let counters = statistics.counters
        // Frames that stay on this queue are those delivered to it; the rest were redirected.
        let ownSlot = tapQueue < counters.receiveQueues ? counters.delivered(tapQueue) : nil
        let stayedBefore = ownSlot.map { local[$0] } ?? 0
        var bytes = 0
        for slot in 0..<count {
            let decision = batch.decisions[slot]
            local[ReaderCounters.report(Int(decision.report.rawValue))] &+= 1
            local[counters.delivered(Int(decision.queue))] &+= 1
            bytes &+= batch.lengths[slot]
        }
        handler(frames(batch, count))
        let stayed = ownSlot.map { local[$0] &- stayedBefore } ?? 0
        local[ReaderCounters.frames] &+= UInt64(count)
        local[ReaderCounters.bytes] &+= UInt64(bytes)
        local[ReaderCounters.redirected] &+= UInt64(count) &- stayed
        free.push(batch.buffers, count: count)
    }

    /// The own receive queue's frames to the handler, the others to their rings. Kept frames
    /// move to the front of the batch's arrays; a frame moves only to a slot already handed
    /// on or its own.
    @inline(never)
    private func deliverOwn(_ batch: ReaderBatch, _ handler: (ReceivedFrames) -> Void) {
        let local = statistics.local
        let counters = statistics.counters
        var kept = 0
        var bytes = 0
        for slot in 0..<batch.count {
            let decision = batch.decisions[slot]
            guard Int(decision.queue) == tapQueue else {
                strays.deliver(batch, slot: slot)
                continue
            }
            local[ReaderCounters.report(Int(decision.report.rawValue))] &+= 1
            local[counters.delivered(tapQueue)] &+= 1
            bytes &+= batch.lengths[slot]
            batch.buffers[kept] = batch.buffers[slot]
            batch.lengths[kept] = batch.lengths[slot]
            batch.decisions[kept] = decision
            kept &+= 1
        }
        guard kept > 0 else { return }
        handler(frames(batch, kept))
        local[ReaderCounters.frames] &+= UInt64(kept)
        local[ReaderCounters.bytes] &+= UInt64(bytes)
        free.push(batch.buffers, count: kept)
    }

    /// The first `count` frames of the batch as the handler sees them.
    @inline(__always)
    private func frames(_ batch: ReaderBatch, _ count: Int) -> ReceivedFrames {
        ReceivedFrames(
            tapQueue: tapQueue, headerSize: headerSize, count: count, poolBase: pool.base,
            bufferStride: pool.bufferSize, buffers: batch.buffers, lengths: batch.lengths, decisions: batch.decisions)
    }
}
