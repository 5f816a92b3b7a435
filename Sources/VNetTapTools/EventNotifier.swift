import CVNetToolsShim
import Glibc
import SystemPackage
import VNetTap

/// An eventfd a tool writes to signal another party, as a VMM's irqfd signals its guest.
public final class EventNotifier: Sendable {
    private let descriptor: Int32

    /// A non-blocking eventfd, owned.
    public init() throws(TapError) {
        let made = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard made >= 0 else { throw TapError(.eventfd, device: "notifier", errno: Errno(rawValue: errno)) }
        descriptor = made
    }

    deinit { close(descriptor) }

    /// One signal: adds 1 to the counter.
    @inline(__always)
    public func signal() {
        var one: UInt64 = 1
        // The 8 bytes of `one`: an eventfd takes one UInt64.
        _ = unsafe write(descriptor, &one, 8)
    }
}
