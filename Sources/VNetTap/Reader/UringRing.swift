import CVNetTapShim
import Glibc
import SystemPackage

/// An io_uring instance (liburing, through the C shim) with a poll armed on the engine's stop
/// eventfd, owned: torn down with it. Made on the reader thread that submits to it: the shim
/// asks for `IORING_SETUP_SINGLE_ISSUER`, which binds the ring to the thread that creates it.
// @safe: it owns its ring (torn down in deinit); waits are given the completion array's own length.
@safe
final class UringRing {
    let ring: OpaquePointer
    /// Completions of the last wait.
    private(set) var completions = [vnet_uring_completion](repeating: vnet_uring_completion(), count: 64)

    /// The tag of the stop poll's completion; read tags must differ from it.
    static let stopTag: UInt64 = 2

    /// A ring of 64 submissions and `completionEntries` completions.
    init(completionEntries: Int, stopEvent: Int32) throws(Errno) {
        var error: Int32 = 0
        guard let ring = unsafe vnet_uring_create(64, UInt32(completionEntries), &error) else {
            throw Errno(rawValue: error)
        }
        // Armed before `self.ring` is set: a throw from a fully initialised object would run
        // deinit, which would destroy the ring a second time.
        let armed = unsafe vnet_uring_arm_poll(ring, stopEvent, UringRing.stopTag)
        guard armed == 0 else {
            unsafe vnet_uring_destroy(ring)
            throw Errno(rawValue: -armed)
        }
        unsafe self.ring = unsafe ring
    }

    deinit { unsafe vnet_uring_destroy(ring) }

    /// Submits what was queued, then waits up to `timeoutMilliseconds` for completions; returns
    /// how many are in ``completions`` (at most 64).
    func submitAndWait(timeoutMilliseconds: Int32) throws(Errno) -> Int {
        _ = unsafe vnet_uring_submit(ring)
        let ready = unsafe vnet_uring_wait(ring, timeoutMilliseconds, &completions, UInt32(completions.count))
        guard ready >= 0 else { throw Errno(rawValue: -ready) }
        return Int(ready)
    }

    /// True when this kernel accepts `IORING_OP_READ_MULTISHOT` (opcode 49, Linux 6.7+).
    static var multishotSupported: Bool { vnet_uring_multishot_supported() == 1 }
}
