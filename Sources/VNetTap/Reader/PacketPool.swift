/// The receive buffers of one tap queue's reader: `count` buffers of `bufferSize` bytes in one
/// allocation. Each buffer holds the vnet header the tap writes, then the frame; frames are
/// never copied out of it.
// @unsafe: `buffer(_:)` does not check the index; buffer indices come from the pool's own free stack.
@unsafe
final class PacketPool: @unchecked Sendable {
    // @unchecked: a buffer is written only by the thread that owns it at the time (the reader
    // until it hands the index over a ring, the consumer until it hands it back).

    let bufferSize: Int
    let count: Int
    let base: UnsafeMutableRawPointer

    init(count: Int, bufferSize: Int) {
        unsafe self.count = count
        unsafe self.bufferSize = unsafe PacketPool.stride(for: bufferSize)
        unsafe base = unsafe .allocate(byteCount: count * self.bufferSize, alignment: 64)
        // Touch every page now, so the datapath never takes a first-touch page fault.
        unsafe base.initializeMemory(as: UInt8.self, repeating: 0, count: count * self.bufferSize)
    }

    deinit { unsafe base.deallocate() }

    /// The bytes from one buffer's start to the next: `bufferSize` rounded up to whole cache
    /// lines, so neighbours never share one, and to an odd number of them. With an even number
    /// (2 KiB is 32 lines) every buffer would start in the same few L1 sets, and a batch of 64
    /// frames would evict its own headers before the classifier reads them; an odd stride
    /// walks the starts through every set.
    static func stride(for bufferSize: Int) -> Int {
        let lines = (max(bufferSize, 1) + 63) / 64
        return (lines | 1) * 64
    }

    @inline(__always)
    func buffer(_ index: Int) -> UnsafeMutableRawPointer { unsafe base + index &* bufferSize }
}

/// A frame handed from a reader to the consumer of its queue.
struct RingEntry: BitwiseCopyable {
    var bufferIndex: UInt32
    var length: UInt32
    var hash: UInt32
    var report: UInt16
    var tapQueue: UInt16
}
