import Glibc
import SystemPackage
import VNetTap

/// Runs a program (`ip`, say) to completion with `posix_spawn`: the child starts in the
/// calling thread's network namespace, so a tool configures the namespace it stands in.
public enum ToolCommand {
    /// Runs `path` (a path, or a name looked up in `PATH`) with `arguments`; throws when it
    /// cannot start, or exits other than with 0.
    public static func run(_ path: String, _ arguments: [String]) throws(TapError) {
        // C strings for posix_spawnp, NULL-terminated, freed once it returns.
        let argv = unsafe ([path] + arguments).map { unsafe strdup($0) } + [nil]
        // By index: swift-format 6.3 mangles `for unsafe argument in`.
        defer { for index in unsafe argv.indices { unsafe free(argv[index]) } }
        var child: pid_t = 0
        let spawned = unsafe posix_spawnp(&child, path, nil, nil, argv, environ)
        guard spawned == 0 else {
            throw TapError(.netlink, device: path, errno: Errno(rawValue: spawned), detail: "posix_spawn")
        }
        var status: Int32 = 0
        while unsafe waitpid(child, &status, 0) < 0 {
            guard errno == EINTR else {
                throw TapError(.netlink, device: path, errno: Errno(rawValue: errno), detail: "waitpid")
            }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import: low seven bits 0, then the code.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw TapError(
                .netlink, device: path, errno: .ioError,
                detail: "\(([path] + arguments).joined(separator: " ")) ended with status \(status)")
        }
    }

    /// `ip ARGUMENTS` (iproute2), in the calling thread's namespace: from /usr/sbin or /sbin,
    /// where Debian puts it, else from `PATH`.
    public static func ip(_ arguments: [String]) throws(TapError) {
        let installed = ["/usr/sbin/ip", "/sbin/ip"].first { (path: String) in unsafe access(path, X_OK) == 0 }
        try run(installed ?? "ip", arguments)
    }
}
