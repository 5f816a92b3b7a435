import VNetRSS

/// The decided frames of one batch from one tap queue, as
/// ``FrameDelivery/inlineBatches(handler:)`` hands them over: a collection of ``ReceivedFrame``.
/// Valid only during the call that receives it; the buffers go back to the reader afterwards.
///
/// One call per batch (up to ``EngineOptions/batchSize`` frames) lets a consumer do its
/// per-batch work once: fill a virtqueue's descriptors for the whole batch, then notify the
/// guest once.
public struct ReceivedFrames: RandomAccessCollection {
    /// The tap queue every frame of the batch was read on.
    public let tapQueue: Int
    /// The vnet header size in front of each frame.
    public let headerSize: Int
    /// The frames in the batch.
    public let count: Int

    // The reader's buffers and its per-slot records, read by index.
    @usableFromInline let poolBase: UnsafeRawPointer
    @usableFromInline let bufferStride: Int
    @usableFromInline let buffers: UnsafePointer<UInt32>
    @usableFromInline let lengths: UnsafePointer<Int>
    @usableFromInline let decisions: UnsafePointer<Classification>

    init(
        tapQueue: Int, headerSize: Int, count: Int, poolBase: UnsafeRawPointer, bufferStride: Int,
        buffers: UnsafePointer<UInt32>, lengths: UnsafePointer<Int>, decisions: UnsafePointer<Classification>
    ) {
        self.tapQueue = tapQueue
        self.headerSize = headerSize
        self.count = count
        self.poolBase = poolBase
        self.bufferStride = bufferStride
        self.buffers = buffers
        self.lengths = lengths
        self.decisions = decisions
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// ``count``.
    public var endIndex: Int { count }

    /// Frame `index` of the batch, in the order the tap queue gave them.
    ///
    /// - Precondition: `0 <= index < count`.
    @inlinable
    public subscript(index: Int) -> ReceivedFrame {
        precondition(index >= 0 && index < count, "frame \(index) of a batch of \(count)")
        let decision = decisions[index]
        return ReceivedFrame(
            packet: UnsafeRawBufferPointer(
                start: poolBase + Int(buffers[index]) &* bufferStride, count: lengths[index]),
            headerSize: headerSize, tapQueue: tapQueue, queue: Int(decision.queue), hash: decision.hash,
            report: decision.report)
    }
}
