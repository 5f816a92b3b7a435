import Glibc
import SystemPackage
import VNetTap

/// Runs a program (`ip`, say) to completion with `posix_spawn`: the child starts in the
/// calling thread's network namespace, so a tool configures the namespace it stands in.
public enum ToolCommand {
    /// Runs `path` (a path, or a name looked up in `PATH`) with `arguments`; throws when it
    /// cannot start, or exits other than with 0.
    public static func run(_ path: String, _ arguments: [String]) throws(TapError) {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let spawned = posix_spawnp(&child, path, nil, nil, argv, environ)
        guard spawned == 0 else {
            throw TapError(.netlink, device: path, errno: Errno(rawValue: spawned), detail: "posix_spawn")
        }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 {
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
        let installed = ["/usr/sbin/ip", "/sbin/ip"].first { (path: String) in access(path, X_OK) == 0 }
        try run(installed ?? "ip", arguments)
    }
}
