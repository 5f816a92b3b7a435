/// The flow mix, pinned in memory once so sending never allocates.
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
        storage = .allocate(byteCount: made.count * slotSize, alignment: 64)
        frames = .allocate(capacity: made.count + 64)
        for (index, frame) in made.enumerated() {
            let slot = UnsafeMutableRawBufferPointer(
                rebasing: storage[(index * slotSize)..<(index * slotSize + frame.count)])
            slot.copyBytes(from: frame)
            frames[index] = UnsafeRawBufferPointer(slot)
        }
        // The first 64 again past the end, so any 64 consecutive frames are contiguous here.
        for index in 0..<64 { frames[made.count + index] = frames[index % made.count] }
    }

    deinit {
        storage.deallocate()
        frames.deallocate()
    }

    /// Writes `nanoseconds` into each of the `count` frames from flow `start` that has room for a
    /// stamp (``VmmStamp``): the injector's send time, for the VMM scenario's latencies.
    func stamp(from start: Int, count: Int, nanoseconds: UInt64) {
        let first = start % flows
        for index in first..<(first + min(count, 64)) {
            let frame = frames[index]
            guard let at = VmmStamp.offset(frame), let base = frame.baseAddress else { continue }
            // The frames live in `storage`, which this object owns and allocated mutable.
            UnsafeMutableRawPointer(mutating: base).storeBytes(of: nanoseconds, toByteOffset: at, as: UInt64.self)
        }
    }

    /// Runs `body` with `count` (at most 64) frames starting at flow `start` (modulo the flows).
    func withBatch<R>(
        from start: Int, count: Int, _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) throws -> R
    ) rethrows -> R {
        let first = start % flows
        return try body(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(frames)[first..<(first + min(count, 64))]))
    }
}
