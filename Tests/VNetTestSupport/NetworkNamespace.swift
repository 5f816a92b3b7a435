import CVNetToolsShim
import CVNetTestShim
import Glibc

/// A private network namespace for one test: created with `unshare(CLONE_NEWNET)` on a helper
/// thread, entered by the calling thread only for the duration of ``run(_:)``. Everything made
/// inside (taps, addresses, sockets) lives only there and goes when the last fd closes, also
/// when a test fails.
public final class NetworkNamespace: @unchecked Sendable {
    // @unchecked: the fd is immutable and closed once, in deinit.
    /// An fd of the namespace (for `setns`, or to move a link into it).
    public let descriptor: Int32

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Creates the namespace (needs `CAP_SYS_ADMIN`).
    public init() throws {
        let original = vnet_tap_current_network()
        guard original >= 0 else { throw Failure(description: "open own netns: errno \(-original)") }
        defer { Glibc.close(original) }
        let created = vnet_tap_unshare_network()
        guard created >= 0 else { throw Failure(description: "unshare(CLONE_NEWNET): errno \(-created)") }
        // Back to where this thread was: only run(_:) enters the new namespace.
        let back = vnet_tap_enter_network(original)
        guard back == 0 else { fatalError("cannot return to the original network namespace: errno \(-back)") }
        descriptor = created
    }

    deinit { Glibc.close(descriptor) }

    /// Runs `body` with the calling thread inside the namespace, then returns the thread to its
    /// own namespace. Keep `body` synchronous.
    public func run<T>(_ body: () throws -> T) throws -> T {
        let original = vnet_tap_current_network()
        guard original >= 0 else { throw Failure(description: "open own netns: errno \(-original)") }
        defer { Glibc.close(original) }
        let entered = vnet_tap_enter_network(descriptor)
        guard entered == 0 else { throw Failure(description: "setns: errno \(-entered)") }
        defer {
            let back = vnet_tap_enter_network(original)
            if back != 0 { fatalError("cannot return to the original network namespace: errno \(-back)") }
        }
        return try body()
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

/// Per-thread `CAP_SYS_ADMIN` alone, to play a loader that holds `CAP_BPF` and `CAP_PERFMON` only.
public enum SysAdminCapability {
    /// Runs `body` with `CAP_SYS_ADMIN` cleared from this thread's effective set, then raises it again.
    public static func withoutIt<T>(_ body: () throws -> T) throws -> T {
        guard vnet_test_set_sys_admin(0) == 0 else { throw NetworkNamespace.Failure(description: "capset") }
        defer { _ = vnet_test_set_sys_admin(1) }
        return try body()
    }
}

/// Per-thread BPF privilege (`CAP_BPF`, `CAP_SYS_ADMIN`) and `CAP_NET_ADMIN`, to play a VMM that
/// runs without them.
public enum BPFPrivilege {
    /// Runs `body` with those capabilities cleared from this thread's effective set, then raises
    /// them again.
    public static func withoutIt<T>(_ body: () throws -> T) throws -> T {
        guard vnet_test_set_privileged(0) == 0 else { throw NetworkNamespace.Failure(description: "capset") }
        defer { _ = vnet_test_set_privileged(1) }
        return try body()
    }
}
