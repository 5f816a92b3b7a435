import CVNetToolsShim
import Glibc
import SystemPackage
import VNetTap

/// The calling thread moved into a network namespace of its own (`unshare(CLONE_NEWNET)`), for
/// a tool that makes taps and sends traffic where nothing else sees it. The namespace goes when
/// its last user does: this object's descriptor, the thread, and the taps made in it.
public final class PrivateNetwork: Sendable {
    /// A descriptor of the namespace, closed with the object.
    public let descriptor: Int32

    /// Moves the calling thread into a new network namespace (needs `CAP_SYS_ADMIN`).
    public init() throws(TapError) {
        let created = vnet_tap_unshare_network()
        guard created >= 0 else {
            throw TapError(
                .inject, device: "network namespace", errno: Errno(rawValue: -created),
                detail: "unshare(CLONE_NEWNET): run as root")
        }
        descriptor = created
    }

    deinit { close(descriptor) }
}
