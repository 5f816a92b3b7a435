// The taps the engine and steering create calls are given, checked alike.

extension Array<Int32> {
    /// The `count` tap descriptors a create call is given at `fds`, copied; nil when one is
    /// negative (the callers' -EBADF).
    init?(tapDescriptors fds: UnsafePointer<Int32>, count: UInt) {
        // SAFETY: the caller gives `count` descriptors at `fds`.
        self = unsafe Array(UnsafeBufferPointer(start: fds, count: Int(count)))
        guard allSatisfy({ $0 >= 0 }) else { return nil }
    }
}
