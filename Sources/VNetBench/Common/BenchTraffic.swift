/// The flow mix, pinned in memory once so sending never allocates.
// @safe: it owns its storage and frame table (freed in deinit); every frame view lies in its
// storage, and a batch is at most 64 frames from a flow below `flows` (a start checked
// non-negative), which the 64 repeated entries past the end cover.
@safe
final class BenchTraffic {
    let frameSize: Int
    let flows: Int
    private let storage: UnsafeMutableRawBufferPointer
    private let frames: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>

    init(flows: Int, size: Int) {
        let made = BenchFrames.make(flows: flows, size: size)
        self.flows = made.count
        frameSize = size
        // Frames may be longer than `size` (headers that do not fit); each gets a slot of the longest.
        let slotSize = made.map(\.count).max() ?? size
        unsafe storage = .allocate(byteCount: made.count * slotSize, alignment: 64)
        unsafe frames = .allocate(capacity: made.count + 64)
        for (index, frame) in made.enumerated() {
            let slot = unsafe UnsafeMutableRawBufferPointer(
                rebasing: storage[(index * slotSize)..<(index * slotSize + frame.count)])
            unsafe slot.copyBytes(from: frame)
            unsafe frames[index] = UnsafeRawBufferPointer(slot)
        }
        // The first 64 again past the end, so any 64 consecutive frames are contiguous here.
        for index in 0..<64 { unsafe frames[made.count + index] = unsafe frames[index % made.count] }
    }

    deinit {
        unsafe storage.deallocate()
        unsafe frames.deallocate()
    }

    /// Writes `nanoseconds` into each of the `count` frames from flow `start` that has room for a
    /// stamp (``VmmStamp``): the injector's send time, for the VMM scenario's latencies.
    func stamp(from start: Int, count: Int, nanoseconds: UInt64) {
        precondition(start >= 0, "a flow index of \(start)")
        let first = start % flows
        for index in first..<(first + min(count, 64)) {
            let frame = unsafe frames[index]
            guard let at = unsafe VmmStamp.offset(frame), let base = frame.baseAddress else { continue }
            // The frames live in `storage`, which this object owns and allocated mutable.
            unsafe UnsafeMutableRawPointer(mutating: base).storeBytes(
                of: nanoseconds, toByteOffset: at, as: UInt64.self)
        }
    }

    /// Runs `body` with `count` (at most 64) frames starting at flow `start` (modulo the flows).
    func withBatch<R>(
        from start: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R
    ) rethrows -> R {
        precondition(start >= 0, "a flow index of \(start)")
        let first = start % flows
        return unsafe try body(
            UnsafeBufferPointer(rebasing: UnsafeBufferPointer(frames)[first..<(first + min(count, 64))]))
    }
}
