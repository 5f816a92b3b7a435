import VNetRSS

/// Inline delivery: the VMM's handler gets a batch's frames on the reader thread, in one call
/// (``ReceivedFrames``), and their buffers are free again after it.
///
/// Where the steering program steers, the handler gets only the frames of this reader's own
/// receive queue (tap queue q, receive queue q), nearly all of them; a frame the program put
/// here for another receive queue (a swap in flight, a detached queue, a foreign program) goes
/// to that queue's ring (``RingSink``), so that only the thread that owns a queue ever sees
/// its frames.
// @unsafe: `deliver(_:steering:)` trusts the batch's slots and queues, as RingSink does.
@unsafe
final class InlineSink: FrameSink {
    private let tapQueue: Int
    private let headerSize: Int
    private let pool: PacketPool
    private let handler: @Sendable (ReceivedFrames) -> Void
    /// Where frames for other receive queues go under the steering program.
    private let strays: RingSink
    private let account: FrameAccount
    private let free: FreeBuffers

    init(
        tapQueue: Int, headerSize: Int, pool: PacketPool, handler: @escaping @Sendable (ReceivedFrames) -> Void,
        strays: RingSink, account: FrameAccount, free: FreeBuffers
    ) {
        unsafe self.tapQueue = tapQueue
        unsafe self.headerSize = headerSize
        unsafe self.pool = unsafe pool
        unsafe self.handler = unsafe handler
        unsafe self.strays = unsafe strays
        unsafe self.account = unsafe account
        unsafe self.free = unsafe free
    }

    func deliver(_ batch: ReaderBatch, steering: Steering) {
        // The handler goes in as a non-escaping argument, once per batch, so that no call
        // retains or releases the closure's context, as calls through the stored one would.
        if steering == .program {
            unsafe deliverOwn(batch, handler)
        } else {
            unsafe deliverAll(batch, handler)
        }
    }

    func wakeConsumers() { unsafe strays.wakeConsumers() }

    /// Every frame of the batch to the handler, each counted delivered to its receive queue;
    /// the buffers go back to the free stack in one copy after the call.
    @inline(never)
    private func deliverAll(_ batch: ReaderBatch, _ handler: (ReceivedFrames) -> Void) {
        let count = unsafe batch.count
        for slot in 0..<count {
            let decision = unsafe batch.decisions[slot]
            unsafe account.delivered(
                to: Int(decision.queue), report: decision.report.rawValue, length: batch.lengths[slot])
        }
        unsafe handler(frames(batch, count))
        unsafe free.push(batch.buffers, count: count)
    }

    /// The own receive queue's frames to the handler, the others to their rings. Kept frames
    /// move to the front of the batch's arrays; a frame moves only to a slot already handed
    /// on or its own.
    @inline(never)
    private func deliverOwn(_ batch: ReaderBatch, _ handler: (ReceivedFrames) -> Void) {
        var kept = 0
        for slot in unsafe 0..<batch.count {
            let decision = unsafe batch.decisions[slot]
            guard unsafe Int(decision.queue) == tapQueue else {
                unsafe strays.deliver(batch, slot: slot)
                continue
            }
            unsafe account.delivered(to: tapQueue, report: decision.report.rawValue, length: batch.lengths[slot])
            unsafe batch.buffers[kept] = unsafe batch.buffers[slot]
            unsafe batch.lengths[kept] = unsafe batch.lengths[slot]
            unsafe batch.decisions[kept] = decision
            kept &+= 1
        }
        guard kept > 0 else { return }
        unsafe handler(frames(batch, kept))
        unsafe free.push(batch.buffers, count: kept)
    }

    /// The first `count` frames of the batch as the handler sees them.
    @inline(__always)
    private func frames(_ batch: ReaderBatch, _ count: Int) -> ReceivedFrames {
        unsafe ReceivedFrames(
            tapQueue: tapQueue, headerSize: headerSize, count: count, poolBase: pool.base,
            bufferStride: pool.bufferSize, buffers: batch.buffers, lengths: batch.lengths, decisions: batch.decisions)
    }
}
