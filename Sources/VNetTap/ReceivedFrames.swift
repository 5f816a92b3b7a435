import VNetRSS

/// The decided frames of one batch from one tap queue, as
/// ``FrameDelivery/inlineBatches(handler:)`` hands them over: a collection of ``ReceivedFrame``.
/// Valid only during the call that receives it; the buffers go back to the reader afterwards.
///
/// One call per batch (up to ``EngineOptions/batchSize`` frames) lets a consumer do its
/// per-batch work once: fill a virtqueue's descriptors for the whole batch, then notify the
/// guest once.
// @unsafe: its frames point into a reader's buffers, valid only during the call that hands them over.
@unsafe
public struct ReceivedFrames: @unsafe RandomAccessCollection {
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
    @usableFromInline let decisions: UnsafePointer<Decision>

    init(
        tapQueue: Int, headerSize: Int, count: Int, poolBase: UnsafeRawPointer, bufferStride: Int,
        buffers: UnsafePointer<UInt32>, lengths: UnsafePointer<Int>, decisions: UnsafePointer<Decision>
    ) {
        unsafe self.tapQueue = tapQueue
        unsafe self.headerSize = headerSize
        unsafe self.count = count
        unsafe self.poolBase = unsafe poolBase
        unsafe self.bufferStride = bufferStride
        unsafe self.buffers = unsafe buffers
        unsafe self.lengths = unsafe lengths
        unsafe self.decisions = unsafe decisions
    }

    /// 0.
    public var startIndex: Int { 0 }
    /// ``count``.
    public var endIndex: Int { unsafe count }

    /// Frame `index` of the batch, in the order the tap queue gave them.
    ///
    /// - Precondition: `0 <= index < count`.
    @inlinable
    public subscript(index: Int) -> ReceivedFrame {
        unsafe precondition(index >= 0 && index < count, unsafe "frame \(index) of a batch of \(count)")
        let decision = unsafe decisions[index]
        return unsafe ReceivedFrame(
            packet: UnsafeRawBufferPointer(
                start: poolBase + Int(buffers[index]) &* bufferStride, count: lengths[index]),
            headerSize: headerSize, tapQueue: tapQueue, queue: Int(decision.queue), hash: decision.hash,
            report: decision.report)
    }
}
