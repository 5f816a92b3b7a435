import CVNetTestShim
import Glibc

/// A private network namespace for one test: created with `unshare(CLONE_NEWNET)` on a helper
/// thread, entered by the calling thread only for the duration of ``run(_:)``. Everything made
/// inside (taps, addresses, sockets) lives only there and goes when the last fd closes, also
/// when a test fails.
public final class NetworkNamespace: @unchecked Sendable {
    // @unchecked: the fd is immutable and closed once, in deinit.
    private let descriptor: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Creates the namespace (needs `CAP_SYS_ADMIN`).
    public init() throws {
        let original = vnet_test_current_network()
        guard original >= 0 else { throw Failure(description: "open own netns: errno \(-original)") }
        defer { Glibc.close(original) }
        let created = vnet_test_unshare_network()
        guard created >= 0 else { throw Failure(description: "unshare(CLONE_NEWNET): errno \(-created)") }
        // Back to where this thread was: only run(_:) enters the new namespace.
        let back = vnet_test_enter_network(original)
        guard back == 0 else { fatalError("cannot return to the original network namespace: errno \(-back)") }
        descriptor = created
    }

    deinit { Glibc.close(descriptor) }

    /// Runs `body` with the calling thread inside the namespace, then returns the thread to its
    /// own namespace. Keep `body` synchronous.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let original = vnet_test_current_network()
        guard original >= 0 else { throw Failure(description: "open own netns: errno \(-original)") }
        defer { Glibc.close(original) }
        let entered = vnet_test_enter_network(descriptor)
        guard entered == 0 else { throw Failure(description: "setns: errno \(-entered)") }
        defer {
            let back = vnet_test_enter_network(original)
            if back != 0 { fatalError("cannot return to the original network namespace: errno \(-back)") }
        }
        return try body()
    }
}

/// Writes whole Ethernet frames onto an interface through an AF_PACKET socket: the kernel then
/// transmits them out of the tap, to the tap's queues.
public final class PacketInjector: @unchecked Sendable {
    // @unchecked: the fd is immutable; send(2) on one socket from several threads is safe.
    private let descriptor: Int32

    /// A socket bound to `interface` (in the calling thread's namespace).
    public init(interface: String) throws {
        let index = vnet_test_interface_index(interface)
        guard index > 0 else { throw NetworkNamespace.Failure(description: "if_nametoindex(\(interface)): errno \(-index)") }
        let fd = vnet_test_packet_socket(index)
        guard fd >= 0 else { throw NetworkNamespace.Failure(description: "AF_PACKET socket: errno \(-fd)") }
        descriptor = fd
    }

    deinit { Glibc.close(descriptor) }

    /// Sends `frame`; throws the errno when the kernel refuses it.
    public func send(_ frame: [UInt8]) throws {
        let sent = frame.withUnsafeBytes { vnet_test_packet_send(descriptor, $0.baseAddress, $0.count) }
        guard sent == frame.count else { throw NetworkNamespace.Failure(description: "send \(frame.count) bytes: \(sent)") }
    }
}

/// Per-thread `CAP_NET_ADMIN`, to show adopted fds need none.
public enum NetAdminCapability {
    public static var isEffective: Bool { vnet_test_has_net_admin() == 1 }

    /// Runs `body` with `CAP_NET_ADMIN` cleared from this thread's effective set, then raises it again.
    public static func withoutIt<T>(_ body: () throws -> T) throws -> T {
        guard vnet_test_set_net_admin(0) == 0 else { throw NetworkNamespace.Failure(description: "capset") }
        defer { _ = vnet_test_set_net_admin(1) }
        return try body()
    }
}
