import CVNetTapShim
import Glibc
import SystemPackage
import VNetRSS

/// The io_uring backend. Where the kernel has `IORING_OP_READ_MULTISHOT` (Linux 6.7+), one
/// multishot read per queue draws buffers from a provided-buffer ring: one submission for many
/// frames. Elsewhere (or when asked) a chain of single-shot reads stays outstanding, hard-linked
/// so that they run one after another and take frames in order. A poll on the stop eventfd ends
/// the wait.
// @safe: it owns its ring; each read targets a buffer the free stack or the kernel's buffer ring holds, bounded by the buffer size.
@safe
final class UringBackend: ReaderBackend {
    private let ring: UringRing
    private let descriptor: Int32
    private let pool: PacketPool
    private let multishot: Bool
    private let deviceName: String
    private let tapQueue: Int
    /// Multishot: buffers the kernel's buffer ring holds, and whether the read is armed (it
    /// ends when the buffer ring runs dry, `ENOBUFS`).
    private var inKernel = 0
    private var armed = false
    /// Single-shot: reads outstanding, each holding a buffer.
    private var outstanding = 0
    /// Single-shot: the buffers of the next chain.
    private let chain: UnsafeMutablePointer<UInt32>

    private static let readTag: UInt64 = 1
    /// Single-shot reads in one chain.
    static let singleShotDepth = 8

    /// A ring for tap queue `tapQueue` of `deviceName` at `descriptor`, multishot where asked
    /// (and ``UringRing/multishotSupported``). Call on the reader thread.
    init(
        descriptor: Int32, stopEvent: Int32, pool: PacketPool, multishot: Bool, deviceName: String, tapQueue: Int
    ) throws(TapError) {
        do {
            ring = unsafe try UringRing(completionEntries: pool.count, stopEvent: stopEvent)
        } catch {
            throw TapError(.ioUring, device: deviceName, errno: error, detail: "io_uring_queue_init")
        }
        self.descriptor = descriptor
        unsafe self.pool = unsafe pool
        self.multishot = multishot
        self.deviceName = deviceName
        self.tapQueue = tapQueue
        // Allocated last: a throw below comes from a fully initialised object, whose deinit runs.
        unsafe chain = .allocate(capacity: UringBackend.singleShotDepth)
        if multishot {
            // The buffer ring needs a power-of-two count; the pool is built that way.
            let registered = unsafe vnet_uring_register_buffers(
                ring.ring, pool.base, UInt32(pool.count), UInt32(pool.bufferSize))
            guard registered == 0 else {
                throw TapError(
                    .ioUring, device: deviceName, errno: Errno(rawValue: -registered),
                    detail: "io_uring_register_buf_ring")
            }
        }
    }

    deinit { unsafe chain.deallocate() }

    func fill(_ batch: ReaderBatch, from free: FreeBuffers) -> FillOutcome {
        let timeout: Int32
        if multishot {
            unsafe free.takeAll { ids, count in
                unsafe vnet_uring_provide(ring.ring, ids, UInt32(count))
                inKernel += count
            }
            // Re-armed once the consumers have given buffers back; while disarmed for want of
            // them, look for returned ones every millisecond.
            if !armed && inKernel > 0 {
                armed = unsafe vnet_uring_arm_multishot(ring.ring, descriptor, Self.readTag) == 0
            }
            timeout = armed ? 100 : 1
        } else {
            unsafe armSingleShotReads(free)
            // No read outstanding: every buffer is with the consumers; look again in a millisecond.
            timeout = outstanding == 0 ? 1 : 100
        }
        let ready: Int
        do {
            ready = try ring.submitAndWait(timeoutMilliseconds: timeout)
        } catch {
            return .failed(TapError(.ioUring, device: deviceName, errno: error, detail: "io_uring_wait_cqe_timeout"))
        }
        if ready == 0 { return .timedOut }
        for index in 0..<ready {
            let completion = ring.completions[index]
            if completion.tag == UringRing.stopTag { return .stopped }
            let failure =
                unsafe multishot ? completeMultishot(completion, batch) : completeSingleShot(completion, batch, free)
            if let failure { return .failed(failure) }
        }
        // A wait that did not fill the completion array found the queue caught up.
        return .read(caughtUp: ready < ring.completions.count)
    }

    /// One multishot completion: a frame in a buffer the kernel chose, or the read's end.
    private func completeMultishot(_ completion: vnet_uring_completion, _ batch: ReaderBatch) -> TapError? {
        if completion.flags & VNET_URING_CQE_F_MORE == 0 { armed = false }
        if completion.result > 0 {
            inKernel -= 1
            unsafe batch.add(bufferIndex: completion.flags >> VNET_URING_BUFFER_SHIFT, length: Int(completion.result))
            return nil
        }
        return failure(completion.result)
    }

    /// One single-shot completion: a frame in the buffer its tag names, or the buffer back.
    private func completeSingleShot(
        _ completion: vnet_uring_completion, _ batch: ReaderBatch, _ free: FreeBuffers
    ) -> TapError? {
        outstanding -= 1
        let bufferIndex = UInt32(truncatingIfNeeded: completion.tag >> 8)
        if completion.result > 0 {
            unsafe batch.add(bufferIndex: bufferIndex, length: Int(completion.result))
            return nil
        }
        unsafe free.push(bufferIndex)
        return failure(completion.result)
    }

    /// Once the last chain has ended: queues a new one of up to ``singleShotDepth`` reads, as
    /// many as there are free buffers. One chain at a time, so that only one read waits on the
    /// fd and frames complete in the order the tap queued them.
    private func armSingleShotReads(_ free: FreeBuffers) {
        guard outstanding == 0 else { return }
        var count = 0
        while count < UringBackend.singleShotDepth, let bufferIndex = unsafe free.pop() {
            unsafe chain[count] = bufferIndex
            count += 1
        }
        guard count > 0 else { return }
        let queued = unsafe vnet_uring_arm_read_chain(
            ring.ring, descriptor, pool.base, UInt32(pool.bufferSize), UInt32(pool.bufferSize), chain, UInt32(count),
            Self.readTag)
        guard queued == 0 else {
            for slot in 0..<count { unsafe free.push(chain[slot]) }
            return
        }
        outstanding = count
    }

    /// The error of a read that failed for good; nil for an empty read or a transient error:
    /// `EAGAIN`, `EINTR`, and for the multishot read `ENOBUFS` (its buffer ring ran dry; it is
    /// re-armed once buffers come back).
    private func failure(_ result: Int32) -> TapError? {
        guard result < 0 else { return nil }
        switch -result {
        case EAGAIN, EINTR: return nil
        case ENOBUFS where multishot: return nil
        default: break
        }
        return TapError(
            .read, device: deviceName, errno: Errno(rawValue: -result), detail: "tap queue \(tapQueue), io_uring")
    }
}
