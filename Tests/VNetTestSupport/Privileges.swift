import Glibc

/// Whether the tests may make network namespaces and taps.
public enum Privileges {
    /// The process runs as root: the live tests need `CAP_SYS_ADMIN` (`unshare(CLONE_NEWNET)`)
    /// and `CAP_NET_ADMIN` (taps and links), which root holds. Suites that need them carry
    /// `.enabled(if: Privileges.isRoot, ...)`, so a run without root skips them and passes.
    public static var isRoot: Bool { geteuid() == 0 }
}
