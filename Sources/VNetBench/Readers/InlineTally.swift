import Glibc
import VNetTap

/// The bench's inline handler: per tap queue (so per reader thread, no sharing), a frame count
/// and the time of the last batch, so the end of a round is known to within one batch per
/// queue (at most 64 frames, under 0.05% of a 200,000-frame round) without a clock read per
/// frame (a vDSO `clock_gettime` is some 20 ns) or a watcher that wakes often.
// @safe: it owns its slots (freed in deinit); `count` checks the tap queue against the count it
// was made for.
@safe
final class InlineTally: @unchecked Sendable {
    // @unchecked: slot i is written only by reader i; read after the readers went quiet.
    private let slots: UnsafeMutablePointer<Int64>
    private let tapQueues: Int
    /// Int64s per tap queue: one cache line, so readers never share one.
    private static let stride = 8

    init(tapQueues: Int) {
        self.tapQueues = tapQueues
        unsafe slots = .allocate(capacity: tapQueues * InlineTally.stride)
        unsafe slots.initialize(repeating: 0, count: tapQueues * InlineTally.stride)
    }

    deinit { unsafe slots.deallocate() }

    func count(_ frames: ReceivedFrames) {
        unsafe precondition(frames.tapQueue < tapQueues, "tap queue \(frames.tapQueue) of \(tapQueues)")
        let slot = unsafe slots + frames.tapQueue &* InlineTally.stride
        unsafe slot[0] &+= Int64(frames.count)
        var now = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &now)
        unsafe slot[1] = Int64(now.tv_sec) &* 1_000_000_000 &+ Int64(now.tv_nsec)
    }

    /// The latest stamp of any reader, on ContinuousClock's timeline (CLOCK_MONOTONIC on Linux).
    var lastFrame: ContinuousClock.Instant? {
        let latest = (0..<tapQueues).map { unsafe slots[$0 * InlineTally.stride + 1] }.max() ?? 0
        guard latest > 0 else { return nil }
        var now = timespec()
        unsafe clock_gettime(CLOCK_MONOTONIC, &now)
        let ago = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - latest
        return ContinuousClock.now - .nanoseconds(ago)
    }
}
