import CVNetTapShim
import Glibc
import SystemPackage
import VNetRSS

/// The io_uring reader (liburing, through the C shim). Where the kernel has
/// `IORING_OP_READ_MULTISHOT` (opcode 49, Linux 6.7+), one multishot read per queue draws
/// buffers from a provided-buffer ring: one submission for many frames. Elsewhere a batch of
/// single-shot reads stays outstanding. A poll on the stop eventfd ends the loop.
struct UringLoop {
    let reader: QueueReader
    let stopEvent: Int32
    let deviceName: String

    private static let readTag: UInt64 = 1
    private static let stopTag: UInt64 = 2
    /// Single-shot reads kept outstanding when multishot is missing.
    static let singleShotDepth = 8

    /// True when this kernel accepts `IORING_OP_READ_MULTISHOT`.
    static var multishotSupported: Bool { vnet_uring_multishot_supported() == 1 }

    func run(multishot: Bool) {
        var error: Int32 = 0
        guard let ring = vnet_uring_create(64, UInt32(reader.pool.count), &error) else {
            reader.failure = TapError(
                .ioUring, device: deviceName, errno: Errno(rawValue: error), detail: "io_uring_queue_init")
            return
        }
        defer { vnet_uring_destroy(ring) }
        guard vnet_uring_arm_poll(ring, stopEvent, UringLoop.stopTag) == 0 else { return }
        if multishot {
            runMultishot(ring)
        } else {
            runSingleShot(ring)
        }
    }

    private func fail(_ code: Int32, _ detail: String) {
        reader.failure = TapError(.ioUring, device: deviceName, errno: Errno(rawValue: code), detail: detail)
    }

    /// Gives every free buffer to the kernel's buffer ring; returns how many.
    @discardableResult
    private func provide(_ ring: OpaquePointer) -> Int {
        var given = 0
        reader.takeAllFree { ids, count in
            vnet_uring_provide(ring, ids, UInt32(count))
            given = count
        }
        return given
    }

    /// One pass: waits up to `timeout` ms for completions, then hands each to `handle` with the
    /// steering state of this batch, decides the frames together, and publishes the batch. False when the loop must end: the stop
    /// poll completed, or `handle` (or the wait) reported a failure.
    private func pass(
        _ ring: OpaquePointer, timeout: Int32, _ completions: inout [vnet_uring_completion], _ touched: inout UInt64,
        _ handle: (vnet_uring_completion, PublishedSteering, inout UInt64) -> TapError?
    ) -> Bool {
        let ready = vnet_uring_wait(ring, timeout, &completions, UInt32(completions.count))
        guard ready >= 0 else {
            fail(-ready, "io_uring_wait_cqe_timeout")
            return false
        }
        if ready == 0, let lost = reader.lostDevice() {
            reader.failure = TapError(
                .read, device: deviceName, errno: lost,
                detail: "tap queue \(reader.index), io_uring: POLLERR, no device behind the queue")
            return false
        }
        let state = reader.snapshot.load()
        defer {
            reader.flush(state, touched: &touched)
            // A wait that did not fill the completion array found the queue caught up.
            reader.finishBatch(touched: &touched, idle: Int(ready) < completions.count)
        }
        for completion in completions[0..<Int(ready)] {
            if completion.tag == UringLoop.stopTag { return false }
            if let failure = handle(completion, state, &touched) {
                reader.failure = failure
                return false
            }
        }
        return true
    }

    /// A read that failed for good (not `EAGAIN`, `EINTR` or, for multishot, `ENOBUFS`).
    private func readFailure(_ result: Int32) -> TapError {
        TapError(
            .read, device: deviceName, errno: Errno(rawValue: -result), detail: "tap queue \(reader.index), io_uring")
    }

    private func runMultishot(_ ring: OpaquePointer) {
        // The buffer ring needs a power-of-two count; the pool is built that way.
        let registered = vnet_uring_register_buffers(
            ring, reader.pool.base, UInt32(reader.pool.count), UInt32(reader.pool.bufferSize))
        guard registered == 0 else { return fail(-registered, "io_uring_register_buf_ring") }
        // Buffers the kernel holds in its ring: a disarmed multishot read is re-armed once there are some.
        var inKernel = provide(ring)
        var armed = vnet_uring_arm_multishot(ring, reader.descriptor, UringLoop.readTag) == 0
        _ = vnet_uring_submit(ring)
        var completions = [vnet_uring_completion](repeating: vnet_uring_completion(), count: 64)
        var touched: UInt64 = 0
        // Disarmed for want of buffers: look for returned ones every millisecond.
        while pass(
            ring, timeout: armed ? 100 : 1, &completions, &touched,
            { completion, state, touched in
                if completion.flags & VNET_URING_CQE_F_MORE == 0 { armed = false }
                if completion.result > 0 {
                    inKernel -= 1
                    let bufferIndex = completion.flags >> VNET_URING_BUFFER_SHIFT
                    reader.add(state, bufferIndex: bufferIndex, length: Int(completion.result), touched: &touched)
                } else if completion.result < 0 && ![ENOBUFS, EAGAIN, EINTR].contains(-completion.result) {
                    return readFailure(completion.result)
                }
                return nil
            })
        {
            reader.reclaim()
            inKernel += provide(ring)
            // The multishot read ends when the buffer ring runs dry (ENOBUFS): re-arm it once the
            // consumers have given buffers back.
            if !armed && inKernel > 0 {
                armed = vnet_uring_arm_multishot(ring, reader.descriptor, UringLoop.readTag) == 0
            }
            _ = vnet_uring_submit(ring)
        }
    }

    private func runSingleShot(_ ring: OpaquePointer) {
        var outstanding = 0
        func submitReads() {
            while outstanding < UringLoop.singleShotDepth, let bufferIndex = reader.popFree() {
                let tag = UInt64(bufferIndex) << 8 | UringLoop.readTag
                guard
                    vnet_uring_arm_read(
                        ring, reader.descriptor, reader.pool.buffer(Int(bufferIndex)), UInt32(reader.pool.bufferSize),
                        tag) == 0
                else {
                    reader.pushFree(bufferIndex)
                    return
                }
                outstanding += 1
            }
        }
        submitReads()
        _ = vnet_uring_submit(ring)
        var completions = [vnet_uring_completion](repeating: vnet_uring_completion(), count: 64)
        var touched: UInt64 = 0
        // No read outstanding: every buffer is with the consumers; look again in a millisecond.
        while pass(
            ring, timeout: outstanding == 0 ? 1 : 100, &completions, &touched,
            { completion, state, touched in
                outstanding -= 1
                let bufferIndex = UInt32(truncatingIfNeeded: completion.tag >> 8)
                if completion.result > 0 {
                    reader.add(state, bufferIndex: bufferIndex, length: Int(completion.result), touched: &touched)
                    return nil
                }
                reader.pushFree(bufferIndex)
                return completion.result < 0 && ![EAGAIN, EINTR].contains(-completion.result)
                    ? readFailure(completion.result) : nil
            })
        {
            reader.reclaim()
            submitReads()
            _ = vnet_uring_submit(ring)
        }
    }
}
