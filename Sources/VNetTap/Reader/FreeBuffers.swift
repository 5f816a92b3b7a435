/// The reader's free receive buffers: a stack of buffer indices into its ``PacketPool``,
/// reader-private (no Array, no lock on the per-frame path). A buffer is on this stack, in the
/// reader's batch, in the kernel (an io_uring read or buffer ring), or with a consumer, never
/// in two places.
// @unsafe: `push` and `top` trust the reader's accounting: no more than `capacity` buffers exist.
@unsafe
final class FreeBuffers {
    private let stack: UnsafeMutablePointer<UInt32>
    /// Buffers on the stack now.
    // exclusivity(unchecked): only the reader thread touches it, never re-entrantly.
    @exclusivity(unchecked) private(set) var count: Int

    /// A stack holding every buffer of a pool of `capacity`.
    init(capacity: Int) {
        unsafe stack = .allocate(capacity: capacity)
        for slot in 0..<capacity { unsafe stack[slot] = UInt32(capacity - 1 - slot) }
        unsafe count = capacity
    }

    deinit { unsafe stack.deallocate() }

    /// Takes a free buffer; nil when every buffer is out.
    @inline(__always)
    func pop() -> UInt32? {
        guard unsafe count > 0 else { return nil }
        unsafe count &-= 1
        return unsafe stack[count]
    }

    /// Gives a buffer back.
    @inline(__always)
    func push(_ bufferIndex: UInt32) {
        unsafe stack[count] = bufferIndex
        unsafe count &+= 1
    }

    /// Gives `count` buffers back at once (after a batch delivered inline).
    @inline(__always)
    func push(_ bufferIndices: UnsafePointer<UInt32>, count pushed: Int) {
        unsafe (stack + count).update(from: bufferIndices, count: pushed)
        unsafe count &+= pushed
    }

    /// The buffers the next pops will return, for reading into them in place before taking
    /// them: `top[-1 - i]` is the buffer of the `i`-th pop from now, for `i < count`.
    @inline(__always)
    var top: UnsafePointer<UInt32> { unsafe UnsafePointer(stack + count) }

    /// Hands every free buffer to `body` (for io_uring's buffer ring) and empties the stack.
    func takeAll(_ body: (UnsafePointer<UInt32>, Int) -> Void) {
        guard unsafe count > 0 else { return }
        unsafe body(stack, count)
        unsafe count = 0
    }
}
