import Glibc

/// Runs a program and waits for it, with `posix_spawn` (Foundation's Process needs a run loop
/// that cannot start inside a fresh network namespace). The child inherits the calling thread's
/// namespaces.
public enum Command {
    /// Runs `path` with `arguments`; throws unless it exits 0.
    public static func run(_ path: String, _ arguments: [String]) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, nil, nil, argv, environ)
        guard spawned == 0 else { throw NetworkNamespace.Failure(description: "posix_spawn \(path): errno \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            throw NetworkNamespace.Failure(description: "\(path) \(arguments.joined(separator: " ")) exited with status \(status)")
        }
    }
}
